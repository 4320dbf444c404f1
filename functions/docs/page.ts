/**
 * The API explorer page: swagger-ui, with a sign-in bar on top. A person signs in with username
 * and password (the page calls `POST /auth/login` and keeps the access token in memory only) or
 * pastes an API key; swagger-ui then sends it as `Authorization: Bearer ...` on "try it out".
 *
 * Every URL is relative to the page (`/docs`): `docs/<file>` for its files, `openapi.json` and
 * `auth/login` for the API, so the page works wherever the gateway is mounted. No inline script
 * (the content security policy allows scripts from the gateway only): the page's code is
 * `EXPLORER_JS`, served as `docs/explorer.js`.
 */

export const explorerPage = (): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API explorer · serverless-api-gateway</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="docs/swagger-ui.css">
<link rel="stylesheet" href="docs/explorer.css">
</head>
<body>
<header class="explorer-signin">
  <form id="signin" autocomplete="on">
    <strong>Sign in</strong>
    <label>Username <input id="username" name="username" autocomplete="username" required></label>
    <label>Password <input id="password" name="password" type="password" autocomplete="current-password" required></label>
    <button type="submit" id="signin-button">Sign in</button>
  </form>
  <form id="apikey-form" autocomplete="off">
    <label>or an API key <input id="apikey" name="apikey" placeholder="gwk_..." spellcheck="false"></label>
    <button type="submit" id="apikey-button">Use key</button>
  </form>
  <span id="signin-status" role="status" aria-live="polite">Not signed in</span>
  <button type="button" id="signout" hidden>Sign out</button>
</header>
<main id="swagger-ui"></main>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/explorer.js"></script>
</body>
</html>
`;

export const EXPLORER_JS = `'use strict';
(function () {
  var ui = window.SwaggerUIBundle({
    url: 'openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    tryItOutEnabled: true,
    displayRequestDuration: true,
    persistAuthorization: false,
    validatorUrl: null,
    defaultModelsExpandDepth: 0,
    // Calls carry the explorer's bearer credential only: a browser session's cookie of the same
    // origin (GET /login) next to it would be refused (cookie_and_bearer).
    requestInterceptor: function (request) {
      request.credentials = 'omit';
      return request;
    },
  });
  var status = document.getElementById('signin-status');
  var signout = document.getElementById('signout');

  function use(token, label) {
    ui.preauthorizeApiKey('bearer', token);
    status.textContent = label;
    status.dataset.state = 'signed-in';
    signout.hidden = false;
  }

  document.getElementById('signin').addEventListener('submit', function (event) {
    event.preventDefault();
    var username = document.getElementById('username').value;
    var password = document.getElementById('password');
    status.textContent = 'Signing in...';
    status.dataset.state = 'pending';
    fetch('auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: username, password: password.value }),
    })
      .then(function (response) {
        return response.json().then(function (body) {
          password.value = '';
          if (response.ok && body.accessToken) {
            use(body.accessToken, 'Signed in as ' + username);
          } else {
            status.textContent = 'Sign-in failed (' + response.status + '): ' + (body.message || 'unknown error');
            status.dataset.state = 'failed';
          }
        });
      })
      .catch(function () {
        status.textContent = 'Sign-in failed: the gateway did not answer';
        status.dataset.state = 'failed';
      });
  });

  document.getElementById('apikey-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var key = document.getElementById('apikey');
    if (!/^gwk_/.test(key.value.trim())) {
      status.textContent = 'That is not an API key (they start with gwk_)';
      status.dataset.state = 'failed';
      return;
    }
    use(key.value.trim(), 'Using API key ' + key.value.trim().split('_')[1]);
    key.value = '';
  });

  signout.addEventListener('click', function () {
    ui.authActions.logout(['bearer']);
    status.textContent = 'Not signed in';
    status.dataset.state = '';
    signout.hidden = true;
  });
})();
`;

export const EXPLORER_CSS = `.explorer-signin {
  display: flex; flex-wrap: wrap; align-items: center; gap: 0.75rem 1.5rem;
  padding: 0.75rem 1.25rem; background: #1b1b1b; color: #fff; font-family: sans-serif; font-size: 14px;
  position: sticky; top: 0; z-index: 10;
}
.explorer-signin form { display: flex; align-items: center; gap: 0.5rem; margin: 0; }
.explorer-signin label { display: flex; align-items: center; gap: 0.35rem; }
.explorer-signin input { padding: 0.3rem 0.45rem; border: 1px solid #888; border-radius: 3px; }
.explorer-signin button { padding: 0.3rem 0.8rem; border: 0; border-radius: 3px; background: #49cc90; color: #fff; font-weight: bold; cursor: pointer; }
#signin-status[data-state='signed-in'] { color: #49cc90; font-weight: bold; }
#signin-status[data-state='failed'] { color: #ff8a80; }
`;
