/**
 * The one HTML page of the plugin: a plain sign-in form shown while someone links Google
 * Home. No scripts; the only inline style is allowed by its hash in the page's CSP.
 */
import { createHash } from 'node:crypto';

/** The OAuth parameters carried through the form unchanged (signed, see form-token.ts). */
export interface AuthorizeParams {
  client_id: string;
  redirect_uri: string;
  state: string;
  response_type: string;
  scope?: string;
}

const STYLE = [
  'body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}',
  'main{max-width:22rem;margin:12vh auto;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08)}',
  'h1{font-size:1.3rem;margin:0 0 .5rem}p{line-height:1.4}label{display:block;margin:1rem 0 .3rem;font-weight:600}',
  'input[type=text],input[type=password]{box-sizing:border-box;width:100%;padding:.6rem;font-size:1rem;border:1px solid #b8bec9;border-radius:6px}',
  'button{margin-top:1.4rem;width:100%;padding:.7rem;font-size:1rem;border:0;border-radius:6px;background:#1a56c4;color:#fff;cursor:pointer}',
  '.error{background:#fdecea;color:#8a1c13;padding:.6rem .8rem;border-radius:6px}',
].join('');

const STYLE_HASH = createHash('sha256').update(STYLE, 'utf8').digest('base64');

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * CSP of the sign-in page. `form-action` must also allow Google's redirect hosts: browsers
 * apply it to the redirect that follows the form post.
 */
export function signInPageCsp(): string {
  return [
    "default-src 'none'",
    `style-src 'sha256-${STYLE_HASH}'`,
    "form-action 'self' https://oauth-redirect.googleusercontent.com https://oauth-redirect-sandbox.googleusercontent.com",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body><main>
${body}
</main></body>
</html>
`;
}

export function signInPage(options: { params: AuthorizeParams; formToken: string; error?: string; name?: string }): string {
  const hidden = (name: string, value: string | undefined) =>
    value === undefined ? '' : `<input type="hidden" name="${name}" value="${escapeHtml(value)}">\n`;
  const { params } = options;
  return page(
    'Sign in - VELUX Climate',
    `<h1>Link Google Home</h1>
<p>Sign in with the name and password the admin of this home gave you (they are created with <code>velux-climate users add</code>).</p>
${options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : ''}
<form method="post" action="authorize" autocomplete="off">
${hidden('client_id', params.client_id)}${hidden('redirect_uri', params.redirect_uri)}${hidden('state', params.state)}${hidden('response_type', params.response_type)}${hidden('scope', params.scope)}${hidden('form_token', options.formToken)}<label for="username">Name</label>
<input type="text" id="username" name="username" required maxlength="64" autocapitalize="none" spellcheck="false" value="${escapeHtml(options.name ?? '')}">
<label for="password">Password</label>
<input type="password" id="password" name="password" required maxlength="1024" autocomplete="current-password">
<button type="submit">Sign in and link</button>
</form>`,
  );
}

/** A dead end with an explanation (bad link, expired page); never redirects anywhere. */
export function messagePage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}
