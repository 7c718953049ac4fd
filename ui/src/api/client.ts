// The one client of the HTTP API: types generated from the server's
// OpenAPI document (npm run gen), calls through openapi-fetch, the session
// cookie sent by the browser.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type AgentView = Schemas["AgentView"];
export type MyFloor = Schemas["MyFloor"];
export type FloorEvent = Schemas["Event"];
export type StreamMessage = Schemas["StreamMessage"];
export type Me = Schemas["MeResponse"];
export type PauseReason = Schemas["PauseReason"];
export type LineView = Schemas["LineView"];
export type Outcome = Schemas["Outcome"];
export type Category = Schemas["Category"];
export type AgentState = Schemas["AgentState"];
export type LookupResult = Schemas["LookupResult"];

export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });

/** ApiError is an error answer in the API's one shape. */
export class ApiError extends Error {
  readonly code: string;
  readonly field: string;
  readonly status: number;
  constructor(status: number, code: string, message: string, field = "") {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * must returns an answer's data or throws its error as an ApiError; a
 * network failure becomes code "network".
 */
export async function must<T>(call: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await call;
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached. Check the connection and try again.");
  }
  if (answer.response.ok) {
    return answer.data as T;
  }
  const body = answer.error as { error?: { code?: string; message?: string; field?: string } } | undefined;
  const e = body?.error;
  if (e?.code) {
    throw new ApiError(answer.response.status, e.code, e.message ?? e.code, e.field ?? "");
  }
  throw new ApiError(answer.response.status, "http_" + answer.response.status, `The server answered ${answer.response.status}.`);
}

/** message is what to show a person for any thrown value. */
export function message(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
