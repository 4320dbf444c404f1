/**
 * The bench's stand-in authorizer: allows every request with one fixed role context (the
 * manager's, `BENCH_NOOP_CONTEXT`), reading nothing and logging nothing. Only the bench's second
 * gateway uses it (bench/noop-gateway.ts), to time the same route and service behind an
 * authorizer that costs nothing next to ours. Never part of serverless.yml.
 */
const context = JSON.parse(process.env.BENCH_NOOP_CONTEXT ?? '{}') as Record<string, unknown>;

export const handler = () => Promise.resolve({ isAuthorized: true, context });
