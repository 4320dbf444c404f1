/**
 * Cognito's own hooks, so that one truth holds whether a change is made through the gateway or
 * in Cognito directly (console, CLI, an SDK talking to the public app client):
 *
 * - `preTokenGeneration`: Cognito's pre-token-generation trigger. Cognito runs it for every
 *   token it issues, at login and at every refresh, also when a client talks to Cognito without
 *   the gateway (cognito-local runs it too). It refuses tokens to a user the gateway has cut off
 *   (deleted, disabled), records the user's current groups as the roles their API keys act
 *   with, and remembers which `sub` the username belongs to.
 * - `syncEvent`: Cognito's management calls, as CloudTrail records them and EventBridge
 *   delivers them (`AdminDisableUser`, `AdminEnableUser`, `AdminAddUserToGroup`,
 *   `AdminRemoveUserFromGroup`, `AdminDeleteUser`, `AdminUserGlobalSignOut`), written to the
 *   same records the gateway's own routes write, dated by when Cognito made the change.
 *
 * Every write is monotonic or versioned (lib/access/store.ts), so events that arrive late, twice
 * or out of order, and the gateway's own changes echoed back by CloudTrail, change nothing that
 * a later event decided.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { EventBridgeEvent, PreTokenGenerationTriggerEvent } from 'aws-lambda';
import type { AccessStore } from '../../lib/access/store';
import { TRIGGER_REFUSAL } from '../../lib/identity/cognito';
import { isRole, type Role } from '../../lib/policy/route-policy';

/** How long after a role change the trigger leaves the recorded roles to the change's own writes. */
export const ROLE_CHANGE_SETTLE_SECONDS = 5;

export const SYNCED_EVENTS = [
  'AdminDisableUser',
  'AdminEnableUser',
  'AdminAddUserToGroup',
  'AdminRemoveUserFromGroup',
  'AdminDeleteUser',
  'AdminUserGlobalSignOut',
] as const;
export type SyncedEventName = (typeof SYNCED_EVENTS)[number];

/** The parts of a CloudTrail record (`detail` of an "AWS API Call via CloudTrail" event) we read. */
export interface CloudTrailDetail {
  eventSource?: string;
  eventName?: string;
  eventTime?: string;
  errorCode?: string;
  requestParameters?: { userPoolId?: string; username?: string } | null;
  additionalEventData?: { sub?: string } | null;
}

export type CognitoCloudTrailEvent = EventBridgeEvent<'AWS API Call via CloudTrail', CloudTrailDetail>;

export type SyncOutcome =
  | { applied: true; event: SyncedEventName; sub: string }
  | { applied: false; reason: 'not_cognito' | 'not_synced' | 'call_failed' | 'other_pool' | 'no_time' | 'unresolved_user' };

export interface CognitoEventsDeps {
  accessStore: Pick<AccessStore, 'getUser' | 'raiseCutOff' | 'setDisabled' | 'syncRoles' | 'recordUsername' | 'subForUsername'>;
  /** The user's current roles in Cognito (AdminListGroupsForUser). */
  rolesOf(userPoolId: string, username: string): Promise<Role[]>;
  /** The user Cognito has now under a username: their `sub` and when they were created (epoch ms). */
  userOf(userPoolId: string, username: string): Promise<{ sub: string; createdAtMs?: number } | undefined>;
  /** The pool whose events are synced; others are ignored. */
  userPoolId?: string;
  logger: Logger;
  /** Epoch milliseconds. */
  now?: () => number;
}

/** CloudTrail writes this (or a like value) where it hides a user's name. */
const isHidden = (value: string) => value.startsWith('HIDDEN_');

export const createCognitoEvents = (deps: CognitoEventsDeps) => {
  const now = deps.now ?? Date.now;
  const { accessStore, logger } = deps;

  const preTokenGeneration = async (event: PreTokenGenerationTriggerEvent): Promise<PreTokenGenerationTriggerEvent> => {
    // Taken before the groups are read: a role change recorded later than this wins.
    const versionMs = now();
    const sub = event.request.userAttributes.sub;
    const username = event.userName;
    if (!sub || !username) throw new Error(`${TRIGGER_REFUSAL}: the user has no sub`);
    const user = await accessStore.getUser(sub);
    if (user?.deletedAt !== undefined || user?.disabled) {
      logger.info('tokens refused', { sub, trigger: event.triggerSource, reason: user.deletedAt !== undefined ? 'user_deleted' : 'user_disabled' });
      throw new Error(TRIGGER_REFUSAL);
    }
    // Cognito gives the groups in the event; cognito-local does not, so they are read.
    const groups = event.request.groupConfiguration?.groupsToOverride ?? (await deps.rolesOf(event.userPoolId, username));
    const roles = groups.filter(isRole);
    await Promise.all([
      accessStore.syncRoles({
        sub,
        username,
        roles,
        versionMs,
        unlessChangedSince: Math.floor(versionMs / 1000) - ROLE_CHANGE_SETTLE_SECONDS,
      }),
      accessStore.recordUsername({ sub, username }),
    ]);
    return event;
  };

  /**
   * The user an event is about: by `sub` where CloudTrail gives it, else by username. A username
   * can name another person by the time a late event arrives (the user deleted, someone
   * re-created under the same email): the user Cognito has now is taken only if they existed at
   * the event's time; else the recorded pointer, if it names someone else; else nobody (reported).
   */
  const resolveUser = async (detail: CloudTrailDetail, userPoolId: string, atMs: number): Promise<{ sub: string; username: string } | undefined> => {
    const named = detail.requestParameters?.username;
    const username = typeof named === 'string' && named !== '' && !isHidden(named) ? named : undefined;
    const given = detail.additionalEventData?.sub;
    let sub = typeof given === 'string' && given !== '' && !isHidden(given) ? given : undefined;
    if (!sub && username) {
      const current = await deps.userOf(userPoolId, username);
      const pointer = await accessStore.subForUsername(username);
      const currentExistedThen = current !== undefined && (current.createdAtMs === undefined || current.createdAtMs <= atMs);
      if (currentExistedThen) sub = current.sub;
      else if (pointer && pointer !== current?.sub) sub = pointer;
    }
    if (!sub) return undefined;
    return { sub, username: username ?? (await accessStore.getUser(sub))?.username ?? sub };
  };

  const syncEvent = async (event: CognitoCloudTrailEvent): Promise<SyncOutcome> => {
    const detail = event.detail ?? {};
    if (detail.eventSource !== 'cognito-idp.amazonaws.com') return { applied: false, reason: 'not_cognito' };
    const name = detail.eventName;
    if (!(SYNCED_EVENTS as readonly (string | undefined)[]).includes(name)) return { applied: false, reason: 'not_synced' };
    // A call that failed changed nothing.
    if (detail.errorCode) return { applied: false, reason: 'call_failed' };
    const userPoolId = detail.requestParameters?.userPoolId;
    if (!userPoolId || (deps.userPoolId && userPoolId !== deps.userPoolId)) return { applied: false, reason: 'other_pool' };
    const atMs = Date.parse(detail.eventTime ?? event.time ?? '');
    if (!Number.isFinite(atMs)) return { applied: false, reason: 'no_time' };
    const at = Math.floor(atMs / 1000);

    const user = await resolveUser(detail, userPoolId, atMs);
    if (!user) {
      // Reported, never silently dropped: an operator can apply it through the gateway's API.
      logger.error('cognito event about an unknown user', { code: 'cognito_event_unresolved', eventName: name, eventTime: detail.eventTime });
      return { applied: false, reason: 'unresolved_user' };
    }
    const eventName = name as SyncedEventName;
    switch (eventName) {
      case 'AdminDisableUser':
        await accessStore.raiseCutOff({ ...user, kind: 'disabledAt', at });
        await accessStore.setDisabled({ ...user, disabled: true, versionMs: atMs });
        break;
      case 'AdminEnableUser':
        await accessStore.setDisabled({ ...user, disabled: false, versionMs: atMs });
        break;
      case 'AdminUserGlobalSignOut':
        await accessStore.raiseCutOff({ ...user, kind: 'signedOutAt', at });
        break;
      case 'AdminDeleteUser':
        await accessStore.raiseCutOff({ ...user, kind: 'deletedAt', at });
        break;
      case 'AdminAddUserToGroup':
      case 'AdminRemoveUserFromGroup': {
        // Tokens from before the change carry the old groups; the roles now are Cognito's.
        await accessStore.raiseCutOff({ ...user, kind: 'rolesChangedAt', at });
        const versionMs = now();
        let roles: Role[] | undefined;
        try {
          roles = await deps.rolesOf(userPoolId, user.username);
        } catch (error) {
          if ((error as Error)?.name !== 'UserNotFoundException') throw error;
        }
        if (roles) await accessStore.syncRoles({ ...user, roles, versionMs });
        break;
      }
    }
    logger.info('cognito event synced', { eventName, sub: user.sub, eventTime: detail.eventTime });
    return { applied: true, event: eventName, sub: user.sub };
  };

  return { preTokenGeneration, syncEvent };
};
