/**
 * Two-factor sign-in's setup, as plain functions: an authenticator secret for the caller, its
 * first code turning MFA on, a current code turning it off. Each acts at Cognito with the
 * caller's own access token (the very token the authorizer verified, service.ts). The login's
 * second step is `mfaLogin` in flows.ts, beside the other logins.
 *
 * Turning MFA on ends every earlier login of the user (a `signedOutAt` cut-off, which the change
 * log carries to every authorizer within the revocation bound): whatever was signed in with the
 * password alone, including API keys made then, must sign in again with a code.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { epochSeconds, systemClock, type Clock } from '../../lib/clock';
import { ConflictError } from '../../lib/errors';
import type { MfaRecords, UserRecords } from '../../lib/access/store';
import { invalidCode, tooManyAttempts, type IdentityProvider } from '../../lib/identity/cognito';
import { signOutEverywhereInCognito } from '../../lib/identity/global-sign-out';
import { otpauthUri, totpMatches, TOTP_VALIDITY_SECONDS } from '../../lib/identity/totp';
import type { UserRoleContext } from '../../lib/policy/role-context';

export interface MfaDeps {
  identity: IdentityProvider;
  accessStore: Pick<UserRecords, 'getUser' | 'raiseCutOff' | 'setMfa'>;
  mfa: MfaRecords;
  /** The name authenticator apps show for the account (`MFA_ISSUER`). */
  issuer: string;
  logger: Logger;
  clock?: Clock;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const alreadyOn = () => new ConflictError('mfa_already_enabled', 'Two-factor sign-in is already on: turn it off first (DELETE /auth/mfa)');
export const notOn = () => new ConflictError('mfa_not_enabled', 'Two-factor sign-in is not on for this user');

export const createMfaFlows = (deps: MfaDeps) => {
  const { logger } = deps;
  const clock = deps.clock ?? systemClock;

  const isOn = async (caller: UserRoleContext) => (await deps.accessStore.getUser(caller.sub))?.mfaEnabled === true;

  /**
   * A code the user types: refused past the user's limit of wrong codes, and refused if they
   * used it before (AWS refuses a code twice; cognito-local does not). Wrong or replayed, it
   * counts against the limit. `check` is who says whether it is right (Cognito, or the kept secret).
   */
  const withCode = async (caller: UserRoleContext, code: string, check: () => Promise<void>) => {
    const now = epochSeconds(clock());
    if (await deps.mfa.tooManyFailures({ username: caller.username, now })) throw tooManyAttempts();
    const fresh = await deps.mfa.useCode({ username: caller.username, code, now, expiresAt: now + TOTP_VALIDITY_SECONDS });
    try {
      if (!fresh) throw invalidCode();
      await check();
    } catch (error) {
      if ((error as { code?: unknown })?.code === 'invalid_code') {
        await deps.mfa.recordFailure({ username: caller.username, now });
        logger.info('mfa code refused', { sub: caller.sub, replayed: !fresh });
      }
      throw error;
    }
  };

  /** A new authenticator secret for the caller, and the URI their app scans. MFA is not on until `verify`. */
  const setup = async (caller: UserRoleContext, accessToken: string) => {
    // On cognito-local a new association replaces the verified secret at once: setting up again
    // while MFA is on would lock the user out until they verify. Turn it off first.
    if (await isOn(caller)) throw alreadyOn();
    const secret = await deps.identity.associateSoftwareToken(accessToken);
    await deps.mfa.keepPendingSecret({ sub: caller.sub, secret });
    logger.info('mfa setup started', { sub: caller.sub });
    return { secret, otpauthUri: otpauthUri({ issuer: deps.issuer, account: caller.username, secret }) };
  };

  /**
   * The first code from the app: Cognito checks it against the new secret and MFA goes on. A
   * wrong code changes nothing (400). Then every earlier login ends, this one included.
   */
  const verify = async (caller: UserRoleContext, accessToken: string, input: { code: string; deviceName?: string | undefined }) => {
    if (await isOn(caller)) throw alreadyOn();
    await withCode(caller, input.code, () => deps.identity.verifySoftwareToken(accessToken, input.code, input.deviceName));
    await deps.identity.setSoftwareTokenMfa(accessToken, true);
    if (!(await deps.mfa.activatePendingSecret({ sub: caller.sub }))) {
      logger.warn('mfa on without a kept secret', { sub: caller.sub });
    }
    const at = clock();
    await deps.accessStore.setMfa({ sub: caller.sub, username: caller.username, enabled: true, versionMs: at });
    await deps.accessStore.raiseCutOff({ sub: caller.sub, username: caller.username, kind: 'signedOutAt', at: epochSeconds(at) });
    await signOutEverywhereInCognito(deps.identity, logger, { sub: caller.sub, username: caller.username });
    logger.info('mfa enabled', { sub: caller.sub });
    // Answer once the cut-off's second is over (a cut-off refuses its own second): the login
    // the client makes next, with its first code, is then not born cut off.
    await sleep(Math.max(0, (epochSeconds(at) + 1) * 1000 - clock() + 5));
  };

  /**
   * MFA off, with a current code of the app. Cognito has no call that checks a code once MFA is
   * on, so the gateway checks it against the secret it kept, sealed, at setup.
   */
  const disable = async (caller: UserRoleContext, accessToken: string, input: { code: string }) => {
    if (!(await isOn(caller))) throw notOn();
    const secret = await deps.mfa.activeSecret(caller.sub);
    if (secret === undefined) {
      throw new ConflictError('mfa_secret_unknown', 'This authenticator was not set up through the gateway: an admin can reset it');
    }
    await withCode(caller, input.code, () =>
      totpMatches(secret, input.code, epochSeconds(clock())) ? Promise.resolve() : Promise.reject(invalidCode()),
    );
    await deps.identity.setSoftwareTokenMfa(accessToken, false);
    await deps.accessStore.setMfa({ sub: caller.sub, username: caller.username, enabled: false, versionMs: clock() });
    await deps.mfa.forgetSecrets(caller.sub);
    logger.info('mfa disabled', { sub: caller.sub });
  };

  return { setup, verify, disable };
};
