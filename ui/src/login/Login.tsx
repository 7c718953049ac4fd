// Login: account, username and password; the server's message for a
// refusal (wrong credentials, a lockout with its wait) is shown as is.
import { LogIn } from "lucide-react";
import { useState } from "react";
import { Form, Input, Label, TextField } from "react-aria-components";
import { message } from "../api/client";
import { signIn } from "../app/session";
import { useFloor } from "../stream/store";
import { Button } from "../ui/Button";
import { ErrorText } from "../ui/ErrorText";

const remembered = "callfloor.account";

export function Login() {
  const ended = useFloor((s) => (s.conn.status === "ended" ? s.conn.reason : undefined));
  const [account, setAccount] = useState(() => localStorage.getItem(remembered) ?? "");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <main className="login">
      <Form
        className="login-card"
        aria-label="Sign in"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          try {
            localStorage.setItem(remembered, account);
            await signIn(account.trim(), username.trim(), password);
          } catch (err) {
            setError(message(err));
            setPassword("");
          } finally {
            setBusy(false);
          }
        }}
      >
        <h1 className="brand">callfloor</h1>
        {ended && !error && (
          <p className="notice" role="status">
            {ended}
          </p>
        )}
        <TextField className="field" value={account} onChange={setAccount} isRequired autoComplete="organization">
          <Label className="field-label">Account</Label>
          <Input className="input" />
        </TextField>
        <TextField className="field" value={username} onChange={setUsername} isRequired autoComplete="username" autoFocus>
          <Label className="field-label">Username</Label>
          <Input className="input" />
        </TextField>
        <TextField className="field" value={password} onChange={setPassword} isRequired type="password" autoComplete="current-password">
          <Label className="field-label">Password</Label>
          <Input className="input" />
        </TextField>
        <ErrorText error={error} />
        <Button type="submit" variant="primary" isDisabled={busy} className="login-submit">
          <LogIn size={16} aria-hidden /> Sign in
        </Button>
      </Form>
    </main>
  );
}
