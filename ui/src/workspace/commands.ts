// The agent's commands, each one API call. Their effect reaches the page
// through the stream like everyone else's, so nothing here changes the store.
import { api, must, type Category } from "../api/client";

export const login = () => must(api.POST("/api/v1/floor/me/login"));
export const logoff = () => must(api.POST("/api/v1/floor/me/logoff"));
export const pause = (reasonId: number) => must(api.POST("/api/v1/floor/me/pause", { body: { reason_id: reasonId } }));
export const unpause = () => must(api.POST("/api/v1/floor/me/unpause"));
export const setAutoAnswer = (on: boolean) => must(api.PUT("/api/v1/floor/me/auto-answer", { body: { on } }));
export const dial = (number: string) => must(api.POST("/api/v1/floor/me/dial", { body: { number } }));
export const hangup = (callId: string) => must(api.POST("/api/v1/floor/me/calls/hangup", { body: { call_id: callId } }));
export const hold = (callId: string) => must(api.POST("/api/v1/floor/me/calls/hold", { body: { call_id: callId } }));
export const resume = (callId: string) => must(api.POST("/api/v1/floor/me/calls/resume", { body: { call_id: callId } }));
export const mute = (callId: string) => must(api.POST("/api/v1/floor/me/calls/mute", { body: { call_id: callId } }));
export const unmute = (callId: string) => must(api.POST("/api/v1/floor/me/calls/unmute", { body: { call_id: callId } }));
export const dtmf = (callId: string, digits: string) =>
  must(api.POST("/api/v1/floor/me/calls/dtmf", { body: { call_id: callId, digits } }));
export const transfer = (callId: string, number: string, mode: "blind" | "attended") =>
  must(api.POST("/api/v1/floor/me/calls/transfer", { body: { call_id: callId, number, mode } }));
export const completeTransfer = (callId: string) =>
  must(api.POST("/api/v1/floor/me/calls/complete-transfer", { body: { call_id: callId } }));
export const conference = (callIds: string[]) =>
  must(api.POST("/api/v1/floor/me/calls/conference", { body: { call_ids: callIds } }));
export const submitDisposition = (callId: string, category: Category, outcome: string, notes: string, tags: string[], callbackAt?: string) =>
  must(api.POST("/api/v1/floor/me/dispositions", { body: { call_id: callId, category, outcome, notes, tags, ...(callbackAt ? { callback_at: callbackAt } : {}) } }));
export const saveNotes = (callId: string, notes: string, tags: string[]) =>
  must(api.PUT("/api/v1/floor/me/calls/notes", { body: { call_id: callId, notes, tags } }));
export const lookup = (q: string) => must(api.GET("/api/v1/lookup", { params: { query: { q } } }));
