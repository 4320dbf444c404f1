/** `npm run reset`: wipe the local stack's state (users, tables, bundles, logs). */
import { rmSync } from 'node:fs';
import { settingsFromEnv } from './local/settings';

const { stateDir } = settingsFromEnv();
rmSync(stateDir, { recursive: true, force: true });
console.log(`Removed ${stateDir}`);
