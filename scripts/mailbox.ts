/**
 * `npm run mailbox`: the messages the local Cognito sent (invitations, sign-up and reset codes),
 * newest last, from the local stack's mailbox (scripts/local/cognito.ts). `npm run mailbox --
 * --follow` keeps printing new ones; `-- <address>` shows only that recipient's. The state
 * folder is `.local/` unless LOCAL_STATE_DIR says otherwise.
 */
import { existsSync, readFileSync, watchFile } from 'node:fs';
import { settingsFromEnv } from './local/settings';
import { mailboxFile } from './local/stack';
import type { MailboxEntry } from './local/cognito';

const args = process.argv.slice(2);
const follow = args.includes('--follow') || args.includes('-f');
const recipient = args.find((arg) => !arg.startsWith('-'))?.toLowerCase();
const file = mailboxFile(settingsFromEnv().stateDir);

const entries = (): MailboxEntry[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as MailboxEntry)
        .filter((entry) => !recipient || entry.destination.toLowerCase() === recipient || entry.username.toLowerCase() === recipient)
    : [];

const show = (entry: MailboxEntry) => {
  console.log(`── ${entry.at}  ${entry.medium} to ${entry.destination} (user ${entry.username})`);
  if (entry.subject) console.log(`   subject: ${entry.subject}`);
  if (entry.code) console.log(`   code:    ${entry.code}`);
  if (entry.message) console.log(`   ${entry.message.replace(/\n/g, '\n   ')}`);
};

let shown = 0;
const print = () => {
  const all = entries();
  all.slice(shown).forEach(show);
  shown = all.length;
};

print();
if (shown === 0) console.log(`(no messages yet in ${file})`);
if (follow) watchFile(file, { interval: 500 }, print);
