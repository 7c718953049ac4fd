// ErrorText shows an API error's message where the person is looking,
// announced to screen readers.
export function ErrorText({ error }: { error?: string }) {
  if (!error) return null;
  return (
    <p className="error-text" role="alert">
      {error}
    </p>
  );
}
