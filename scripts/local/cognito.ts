/**
 * cognito-local 5.3, started from its library parts instead of its `start.js`, so that the local
 * stack behaves like Amazon Cognito where the gateway depends on it. Run as its own process by
 * scripts/local/stack.ts: `node --import tsx scripts/local/cognito.ts`, in the folder that holds
 * its state (`.cognito/`, as upstream).
 *
 * The same server as upstream's `createDefaultServer` (lib/server/defaults.js): same services,
 * same config file, same `PORT`/`HOST` handling (lib/server/config.js), same pino-pretty console
 * (codes and invitations are printed there). What differs, and only this:
 *
 *  1. `auth_time` survives a refresh. Upstream's JwtTokenGenerator sets `auth_time = iat = now`
 *     for every token. On AWS `auth_time` is "the time when the authentication occurred" and a
 *     refresh keeps it. For InitiateAuth and AdminInitiateAuth with REFRESH_TOKEN_AUTH (or its
 *     alias REFRESH_TOKEN), the new access and ID tokens get the `iat` of the refresh token
 *     cognito-local issued at login, which is that login's time. `iat`, `exp` and every other
 *     claim stay as upstream makes them; the two tokens are signed again with the same key and
 *     header. (cognito-local's `/oauth2/token` refresh grant is not changed: the gateway does
 *     not use it.)
 *  2. Lambda triggers from the environment, over `.cognito/config.json`:
 *     `COGNITO_LAMBDA_ENDPOINT` becomes `LambdaClient` (that endpoint, region us-east-1,
 *     credentials local/local) and `COGNITO_TRIGGER_FUNCTIONS` (JSON, e.g.
 *     `{"PreTokenGeneration":"serverless-api-gateway-local-cognitoTrigger"}`) becomes
 *     `TriggerFunctions`.
 *  3. New pools have no username aliases, as the pool in serverless.yml: upstream's default
 *     (`UserPoolDefaults.UsernameAttributes: ["email"]`) makes every username a random UUID
 *     and the email an alias, so tokens and Cognito's events would name users differently
 *     here than on AWS.
 *  4. Local programs only: it refuses to listen on anything but a loopback address, and refuses
 *     browser requests from other origins (scripts/local/local-only.ts). Upstream answers every
 *     origin (`cors({ origin: '*' })`), which lets any web page administer the pool.
 *  5. The local mailbox: every message Cognito would send (invitations, sign-up and reset codes)
 *     is printed as upstream prints it and also appended, one JSON line each, to
 *     `COGNITO_MAILBOX_FILE`, by default `mailbox.jsonl` in the stack's state folder (the parent
 *     of this process's folder, `.local/` for `npm start`). `npm run mailbox` shows it; the
 *     integration tests read their codes from it. This is cognito-local's message delivery, the
 *     place where Cognito on AWS sends its email (no trigger is involved on either side).
 *  6. `AdminSetUserMFAPreference`, which cognito-local 5.3 lacks (an admin turning a user's
 *     authenticator off, `POST /users/{username}/mfa/reset`): the same change as its own
 *     `SetUserMFAPreference`, for the user named by pool id and username, as on AWS.
 *  7. The refresh token of a login finished by `RespondToAuthChallenge` (an MFA code, a new
 *     password) works: upstream stores only InitiateAuth's refresh tokens with the user, so a
 *     refresh of the others answers NotAuthorized; on AWS they work as any login's.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { createPrivateKey, sign } from 'node:crypto';
import type http from 'node:http';
import https from 'node:https';
import Lambda from 'aws-sdk/clients/lambda';
import pino from 'pino';
import pinoPretty from 'pino-pretty';
import privateKey from 'cognito-local/lib/keys/cognitoLocal.private.json';
import { loadConfig, type Config } from 'cognito-local/lib/server/config';
import { Router, type Route } from 'cognito-local/lib/server/Router';
import { createServer } from 'cognito-local/lib/server/server';
import { DateClock, LambdaService, MessagesService, TriggersService, type Services } from 'cognito-local/lib/services';
import { CognitoServiceFactoryImpl } from 'cognito-local/lib/services/cognitoService';
import { CryptoService } from 'cognito-local/lib/services/crypto';
import { StormDBDataStoreFactory } from 'cognito-local/lib/services/dataStore/stormDb';
import { ConsoleMessageSender } from 'cognito-local/lib/services/messageDelivery/consoleMessageSender';
import { MessageDeliveryService } from 'cognito-local/lib/services/messageDelivery/messageDelivery';
import type { MessageSender } from 'cognito-local/lib/services/messageDelivery/messageSender';
import { otp } from 'cognito-local/lib/services/otp';
import { JwtTokenGenerator, type TokenGenerator } from 'cognito-local/lib/services/tokenGenerator';
import { UserPoolServiceFactoryImpl } from 'cognito-local/lib/services/userPoolService';
import { InvalidParameterError, UserNotFoundError } from 'cognito-local/lib/errors';
import { guardRequests, loopbackOrigins } from './local-only';

// ---------------------------------------------------------------------------------------------
// 1. auth_time survives a refresh
// ---------------------------------------------------------------------------------------------

/** The original authentication time (Unix seconds) while a refresh request is being handled. */
const refreshAuthTime = new AsyncLocalStorage<number>();

const REFRESH_FLOWS = new Set(['REFRESH_TOKEN_AUTH', 'REFRESH_TOKEN']);

const decodePart = (part: string | undefined): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The `iat` of a refresh token cognito-local issued. Not verified here, and need not be: the
 * target looks the token up, as an exact string, among those it stored for its users, and
 * refuses any other before a token is generated.
 */
const refreshTokenIssuedAt = (refreshToken: unknown): number | undefined => {
  if (typeof refreshToken !== 'string') return undefined;
  const iat = decodePart(refreshToken.split('.')[1])?.iat;
  return typeof iat === 'number' && Number.isSafeInteger(iat) && iat > 0 ? iat : undefined;
};

const AUTH_TARGETS = new Set(['InitiateAuth', 'AdminInitiateAuth']);

/** The router, with each refresh request run inside `refreshAuthTime`. */
const keepAuthTimeOnRefresh =
  (router: Router): Router =>
  (target) => {
    const route = router(target);
    if (!AUTH_TARGETS.has(target)) return route;
    const wrapped: Route = (ctx, req) => {
      // cognito-local types the request body as any: only these two members are read here.
      const body = req as { AuthFlow?: unknown; AuthParameters?: { REFRESH_TOKEN?: unknown } } | undefined;
      const flow = body?.AuthFlow;
      const authTime = typeof flow === 'string' && REFRESH_FLOWS.has(flow) ? refreshTokenIssuedAt(body?.AuthParameters?.REFRESH_TOKEN) : undefined;
      return authTime === undefined ? route(ctx, req) : refreshAuthTime.run(authTime, () => route(ctx, req));
    };
    return wrapped;
  };

// ---------------------------------------------------------------------------------------------
// 6. AdminSetUserMFAPreference
// ---------------------------------------------------------------------------------------------

type MfaSettings = { Enabled?: boolean; PreferredMfa?: boolean } | undefined;

/** AWS's AdminSetUserMFAPreference over cognito-local's user store, as its SetUserMFAPreference changes it. */
const adminSetUserMfaPreference =
  (services: Services): Route =>
  async (ctx, req) => {
    const body = req as { UserPoolId?: unknown; Username?: unknown; SoftwareTokenMfaSettings?: MfaSettings; SMSMfaSettings?: MfaSettings };
    if (typeof body.UserPoolId !== 'string' || typeof body.Username !== 'string') {
      throw new InvalidParameterError('Missing required parameter UserPoolId or Username');
    }
    const userPool = await services.cognito.getUserPool(ctx, body.UserPoolId);
    const user = await userPool.getUserByUsername(ctx, body.Username);
    if (!user) throw new UserNotFoundError();
    const methods = new Set(user.UserMFASettingList ?? []);
    const software = body.SoftwareTokenMfaSettings;
    if (software?.Enabled && !user.SoftwareTokenMfaConfiguration?.Verified) throw new InvalidParameterError('User has not verified software token MFA');
    if (software) {
      if (software.Enabled) methods.add('SOFTWARE_TOKEN_MFA');
      else methods.delete('SOFTWARE_TOKEN_MFA');
    }
    const sms = body.SMSMfaSettings;
    if (sms) {
      if (sms.Enabled) methods.add('SMS_MFA');
      else methods.delete('SMS_MFA');
    }
    const preferred = software?.PreferredMfa && methods.has('SOFTWARE_TOKEN_MFA') ? 'SOFTWARE_TOKEN_MFA' : sms?.PreferredMfa && methods.has('SMS_MFA') ? 'SMS_MFA' : undefined;
    await userPool.saveUser(ctx, { ...user, UserMFASettingList: [...methods], PreferredMfaSetting: preferred });
    return {};
  };

/** RespondToAuthChallenge, with the refresh token it issues stored with the user as InitiateAuth's are (7). */
const storingChallengeRefreshTokens =
  (route: Route, services: Services): Route =>
  async (ctx, req) => {
    const result = (await route(ctx, req)) as { AuthenticationResult?: { RefreshToken?: string } } | undefined;
    const refreshToken = result?.AuthenticationResult?.RefreshToken;
    const body = req as { ClientId?: unknown; ChallengeResponses?: { USERNAME?: unknown } };
    if (refreshToken && typeof body.ClientId === 'string' && typeof body.ChallengeResponses?.USERNAME === 'string') {
      const userPool = await services.cognito.getUserPoolForClientId(ctx, body.ClientId);
      const user = await userPool.getUserByUsername(ctx, body.ChallengeResponses.USERNAME);
      if (user) await userPool.storeRefreshToken(ctx, refreshToken, user);
    }
    return result;
  };

/** The router, with the targets cognito-local lacks (6) or gets wrong for the gateway (7). */
const withMissingTargets =
  (router: Router, services: Services): Router =>
  (target) => {
    if (target === 'AdminSetUserMFAPreference') return adminSetUserMfaPreference(services);
    if (target === 'RespondToAuthChallenge') return storingChallengeRefreshTokens(router(target), services);
    return router(target);
  };

const signingKey = createPrivateKey(privateKey.pem);

/** The same token with `auth_time` replaced: same header bytes, same claims in the same order, signed again with the same key. */
const withAuthTime = (token: string, authTime: number): string => {
  const [header, payload] = token.split('.');
  if (decodePart(header)?.alg !== 'RS256') throw new Error('cognito-local issued a token that is not RS256');
  const claims = decodePart(payload);
  if (!claims || !('auth_time' in claims)) throw new Error('cognito-local issued a token without auth_time');
  claims.auth_time = authTime;
  const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), signingKey).toString('base64url')}`;
};

/** Upstream's generator; on a refresh, the access and ID tokens carry the original `auth_time`. */
class AuthTimeKeepingTokenGenerator extends JwtTokenGenerator {
  override async generate(...args: Parameters<TokenGenerator['generate']>): ReturnType<TokenGenerator['generate']> {
    const tokens = await super.generate(...args);
    const authTime = refreshAuthTime.getStore();
    const source = args[5];
    if (authTime === undefined || source !== 'RefreshTokens') return tokens;
    return { ...tokens, AccessToken: withAuthTime(tokens.AccessToken, authTime), IdToken: withAuthTime(tokens.IdToken, authTime) };
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Lambda triggers from the environment
// ---------------------------------------------------------------------------------------------

const TRIGGERS = ['CustomMessage', 'PostAuthentication', 'PostConfirmation', 'PreSignUp', 'PreTokenGeneration', 'UserMigration', 'CustomEmailSender'];

const triggersFromEnv = (raw: string | undefined): Config['TriggerFunctions'] | undefined => {
  if (raw === undefined || raw === '') return undefined;
  const parsed: unknown = JSON.parse(raw);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('COGNITO_TRIGGER_FUNCTIONS must be a JSON object');
  for (const [trigger, name] of Object.entries(parsed)) {
    if (!TRIGGERS.includes(trigger)) throw new Error(`COGNITO_TRIGGER_FUNCTIONS: unknown trigger "${trigger}"`);
    if (typeof name !== 'string' || name === '') throw new Error(`COGNITO_TRIGGER_FUNCTIONS: ${trigger} needs a function name`);
  }
  return parsed;
};

const withEnvironment = (config: Config, env: NodeJS.ProcessEnv): Config => {
  const endpoint = env.COGNITO_LAMBDA_ENDPOINT;
  const triggers = triggersFromEnv(env.COGNITO_TRIGGER_FUNCTIONS);
  return {
    ...config,
    LambdaClient: endpoint
      ? { ...config.LambdaClient, endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : config.LambdaClient,
    TriggerFunctions: triggers ? { ...config.TriggerFunctions, ...triggers } : config.TriggerFunctions,
    // Merged under each CreateUserPool request, where undefined leaves the request's own value.
    UserPoolDefaults: { ...config.UserPoolDefaults, UsernameAttributes: undefined },
  };
};

// ---------------------------------------------------------------------------------------------
// 5. The local mailbox
// ---------------------------------------------------------------------------------------------

/** One message as `npm run mailbox` and the tests read it (scripts/mailbox.ts). */
export interface MailboxEntry {
  at: string;
  medium: 'EMAIL' | 'SMS';
  username: string;
  destination: string;
  code?: string;
  subject?: string;
  message?: string;
}

/** Upstream's console sender, and a line in the mailbox file for each message. */
const mailboxSender = (file: string, console: MessageSender): MessageSender => {
  const write = (medium: MailboxEntry['medium'], username: string, destination: string, message: Parameters<MessageSender['sendEmail']>[3]) => {
    const entry: MailboxEntry = {
      at: new Date().toISOString(),
      medium,
      username,
      destination,
      ...(message.__code ? { code: message.__code } : {}),
      ...(message.emailSubject ? { subject: message.emailSubject } : {}),
      ...(message.emailMessage ?? message.smsMessage ? { message: message.emailMessage ?? message.smsMessage } : {}),
    };
    appendFileSync(file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
  };
  return {
    async sendEmail(ctx, user, destination, message) {
      write('EMAIL', user.Username, destination, message);
      await console.sendEmail(ctx, user, destination, message);
    },
    async sendSms(ctx, user, destination, message) {
      write('SMS', user.Username, destination, message);
      await console.sendSms(ctx, user, destination, message);
    },
  };
};

// ---------------------------------------------------------------------------------------------
// The server, as upstream's createDefaultServer builds it
// ---------------------------------------------------------------------------------------------

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

const main = async () => {
  // Upstream's bin/start.js logger, unchanged.
  const logger = pino(
    { level: process.env.DEBUG ? 'debug' : 'info' },
    pinoPretty({
      colorize: true,
      ignore: 'pid,name,hostname',
      singleLine: true,
      messageFormat: (log, messageKey) => `${(log.reqId as string) ?? 'NONE'} ${(log.target as string) ?? 'NONE'} ${log[messageKey] as string}`,
    }),
  );
  const ctx = { logger };
  const configDirectory = '.cognito';
  const dataDirectory = `${configDirectory}/db`;
  const config = withEnvironment(await loadConfig(ctx, new StormDBDataStoreFactory(configDirectory)), process.env);
  const hostname = config.ServerConfig.hostname ?? '';
  if (!LOOPBACK.has(hostname)) throw new Error(`cognito-local must listen on a loopback address here, not "${hostname}"`);
  logger.debug({ config }, 'Loaded config');

  const clock = new DateClock();
  const dataStoreFactory = new StormDBDataStoreFactory(dataDirectory);
  const cognito = await new CognitoServiceFactoryImpl(
    dataDirectory,
    dataStoreFactory,
    new UserPoolServiceFactoryImpl(clock, dataStoreFactory),
  ).create(ctx, config.UserPoolDefaults);
  const triggers = new TriggersService(
    clock,
    cognito,
    new LambdaService(config.TriggerFunctions, new Lambda(config.LambdaClient)),
    new CryptoService(config.KMSConfig),
  );
  const services: Services = {
    clock,
    cognito,
    config,
    messages: new MessagesService(
      triggers,
      new MessageDeliveryService(mailboxSender(process.env.COGNITO_MAILBOX_FILE || path.resolve('..', 'mailbox.jsonl'), new ConsoleMessageSender())),
    ),
    otp,
    tokenGenerator: new AuthTimeKeepingTokenGenerator(clock, triggers, config.TokenConfig),
    triggers,
  };

  const server: http.Server | https.Server = await createServer(keepAuthTimeOnRefresh(withMissingTargets(Router(services), services)), logger, config.ServerConfig, services).start();
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('Server started without address');
  // Runs before any request can arrive: start() resolves in the listen callback.
  guardRequests(server, {
    ownOrigins: loopbackOrigins(address.port),
    onRefusal: (reason, req) => logger.warn(`refused ${req.method} ${req.url}: ${reason}`),
  });
  const proto = server instanceof https.Server ? 'https' : 'http';
  logger.info(`Cognito Local running on ${proto}://${address.address}:${address.port}`);
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
