/**
 * `GET /login`: the browser sign-in page. Self-contained (no framework, nothing loaded from
 * anywhere): its one script and one style sheet are inline and allowed by their SHA-256 hashes
 * in the page's content security policy, so no other inline script can run, and
 * `frame-ancestors 'none'` keeps it out of every frame (a framed sign-in form is a clickjacking
 * target).
 *
 * The page never holds a token. It signs in with `POST /auth/session` (the gateway sets the
 * HttpOnly session cookie), answers a challenge when the sign-in returns one (`NEW_PASSWORD_REQUIRED`,
 * `SOFTWARE_TOKEN_MFA`; the form asks for the challenge's field and posts `{challenge, username, session, ...}`
 * to `POST /auth/session/challenge`, so another challenge kind is one more field), shows the
 * profile (`GET /users/me` with the cookie) and signs out (`DELETE /auth/session` with the CSRF
 * token read from the `__Host-csrf` cookie).
 */
import { createHash } from 'node:crypto';

const STYLE = `
body { font-family: system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; color: #1b1b1b; }
h1 { font-size: 1.4rem; }
label { display: block; margin: .8rem 0 .2rem; }
input { width: 100%; padding: .5rem; box-sizing: border-box; }
button { margin-top: 1rem; padding: .5rem 1rem; }
[hidden] { display: none !important; }
#message { color: #a00; min-height: 1.2rem; }
pre { background: #f4f4f4; padding: .8rem; overflow-x: auto; }
`;

/**
 * The challenges the page can answer: the field it asks for, and the body key it posts. A new
 * challenge kind is one entry here and one member of the route's body union.
 */
const SCRIPT = `
'use strict';
const CHALLENGES = {
  NEW_PASSWORD_REQUIRED: { label: 'Choose a new password', field: 'newPassword', type: 'password', autocomplete: 'new-password' },
  SOFTWARE_TOKEN_MFA: { label: 'The 6-digit code from your authenticator app', field: 'code', type: 'text', autocomplete: 'one-time-code' },
};
const $ = (id) => document.getElementById(id);
const show = (section) => { for (const id of ['signin', 'challenge', 'profile']) $(id).hidden = id !== section; };
const say = (text) => { $('message').textContent = text || ''; };
const csrfToken = () => {
  for (const pair of document.cookie.split(';')) {
    const [name, ...rest] = pair.trim().split('=');
    if (name === '__Host-csrf') return rest.join('=');
  }
  return '';
};
const errorText = async (response) => {
  try { const body = await response.json(); return body.message || ('Error ' + response.status); } catch { return 'Error ' + response.status; }
};
let pending;
const post = (path, body) => fetch(path, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const signedIn = async (response) => {
  if (response.status === 204) { say(''); return loadProfile(); }
  if (response.status === 200) {
    const body = await response.json();
    const kind = CHALLENGES[body.challenge];
    if (!kind) { say('This sign-in needs a step this page does not know: ' + body.challenge); return; }
    pending = { challenge: body.challenge, username: body.username, session: body.session, field: kind.field };
    $('challenge-label').textContent = kind.label;
    $('challenge-input').type = kind.type;
    $('challenge-input').autocomplete = kind.autocomplete;
    $('challenge-input').value = '';
    show('challenge');
    say('');
    return;
  }
  say(await errorText(response));
};
const loadProfile = async () => {
  const response = await fetch('/users/me', { credentials: 'same-origin' });
  if (response.status !== 200) { show('signin'); return; }
  const me = await response.json();
  $('who').textContent = me.username || '';
  $('profile-data').textContent = JSON.stringify(me, null, 2);
  show('profile');
};
$('signin-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  say('');
  await signedIn(await post('/auth/session', { username: $('username').value, password: $('password').value }));
  $('password').value = '';
});
$('challenge-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!pending) return;
  const { field, ...answer } = pending;
  pending = undefined;
  const response = await post('/auth/session/challenge', { ...answer, [field]: $('challenge-input').value });
  // A refused answer spends the challenge: back to the sign-in form, with the reason.
  if (response.status !== 204 && response.status !== 200) { show('signin'); say(await errorText(response)); return; }
  await signedIn(response);
});
$('signout').addEventListener('click', async () => {
  const response = await fetch('/auth/session', { method: 'DELETE', credentials: 'same-origin', headers: { 'x-csrf-token': csrfToken() } });
  if (response.status !== 204) { say(await errorText(response)); return; }
  $('profile-data').textContent = '';
  say('Signed out.');
  show('signin');
});
loadProfile();
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * Scripts and styles: exactly the page's own (by hash); requests to the gateway only; forms post
 * to the gateway only; no framing, no plugins, no base URL changes.
 */
export const LOGIN_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const loginPage = (): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Sign in</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Sign in</h1>
<p id="message" role="alert"></p>
<section id="signin" hidden>
  <form id="signin-form">
    <label for="username">Username</label>
    <input id="username" name="username" autocomplete="username" required>
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <button type="submit" id="signin-button">Sign in</button>
  </form>
</section>
<section id="challenge" hidden>
  <form id="challenge-form">
    <label for="challenge-input" id="challenge-label"></label>
    <input id="challenge-input" required>
    <button type="submit" id="challenge-button">Continue</button>
  </form>
</section>
<section id="profile" hidden>
  <p>Signed in as <strong id="who"></strong>.</p>
  <pre id="profile-data"></pre>
  <button type="button" id="signout">Sign out</button>
</section>
<script>${SCRIPT}</script>
</body>
</html>
`;
