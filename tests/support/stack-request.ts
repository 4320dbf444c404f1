/**
 * HTTP to a stack a test file started itself (tests/faults): one request, its status, its body
 * (parsed when there is one), its text and how long it took. The shared integration stack's
 * client is tests/support/client.ts.
 */
export interface StackAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers of any shape, read by the assertions
  body: any;
  text: string;
  ms: number;
}

export const stackRequest =
  (gatewayUrl: () => string) =>
  async (method: string, route: string, options: { token?: string; body?: unknown } = {}): Promise<StackAnswer> => {
    const started = Date.now();
    const response = await fetch(`${gatewayUrl()}${route}`, {
      method,
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.body ? { 'content-type': 'application/json' } : {}),
      },
      body: options.body ? JSON.stringify(options.body) : undefined,
      signal: AbortSignal.timeout(20_000),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: response.status, body, text, ms: Date.now() - started };
  };
