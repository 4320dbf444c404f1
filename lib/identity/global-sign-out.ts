/**
 * Cognito's own sign-out everywhere (`AdminUserGlobalSignOut`: every refresh token of the user
 * stops working), after the gateway has raised the user's cut-off. The cut-off already refuses
 * every token from an earlier login, however it was refreshed (`auth_time`); Cognito's sign-out
 * stops new tokens from being issued at all. So a failure here is no hole in what the gateway
 * promises, but it is never hidden either: transient failures are retried, and what still fails
 * is logged as an error with a stable code and a metric (`GlobalSignOutFailed`) to alarm on.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { awsErrorName, isTransientError } from '../errors';
import type { IdentityProvider } from './cognito';
import { createEmbeddedMetrics, type EmbeddedMetrics } from '../observability';


export const GLOBAL_SIGN_OUT_ATTEMPTS = 3;

const defaultMetrics = createEmbeddedMetrics();

/** True when Cognito signed the user out; false when it failed (and that was reported). */
export const signOutEverywhereInCognito = async (
  identity: Pick<IdentityProvider, 'globalSignOut'>,
  logger: Logger,
  user: { sub: string; username: string },
  options: { attempts?: number; backoffMs?: number; metrics?: EmbeddedMetrics } = {},
): Promise<boolean> => {
  const attempts = options.attempts ?? GLOBAL_SIGN_OUT_ATTEMPTS;
  const backoffMs = options.backoffMs ?? 100;
  let errorName: string | undefined;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    try {
      await identity.globalSignOut(user.username);
      return true;
    } catch (error) {
      errorName = awsErrorName(error) ?? 'Error';
      if (!isTransientError(error) || attempt === attempts) break;
      await new Promise((resolve) => setTimeout(resolve, backoffMs * attempt));
    }
  }
  logger.error('global sign-out in Cognito failed', {
    code: 'global_sign_out_failed',
    errorName,
    sub: user.sub,
    // What still holds: the gateway refuses every token of an earlier login by its auth_time.
    gatewayCutOff: true,
    ...(options.metrics ?? defaultMetrics).fields([['GlobalSignOutFailed', 'Count', 1]]),
  });
  return false;
};
