// The mock to call and the account's API key, from the environment the Go test sets.
export const baseUrl = mustEnv('VERIFEYE_URL');
export const apiKey = mustEnv('VERIFEYE_API_KEY');

function mustEnv(name: string): string {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set`);
  }
  return v;
}

export function check(ok: boolean, what: string): void {
  if (!ok) {
    throw new Error(`check failed: ${what}`);
  }
  console.log(`ok: ${what}`);
}

// The spec's pattern: the mock ends the line with a newline, production may not.
export const healthzPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z\n?$/;
