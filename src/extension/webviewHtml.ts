import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

/** The folders Subclone's webviews may load from: the bundles and the stylesheets. */
export function webviewResourceRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')];
}

export interface WebviewPage {
  title: string;
  /** The bundle in dist/webview/. */
  script: string;
  /** Stylesheets: files in media/ or dist/webview/ (paths relative to the extension). */
  styles: string[];
}

/**
 * A webview page with a strict content security policy: nothing by default; scripts only with this render's
 * nonce; styles, fonts and images only from the extension (images also as data: URLs, which canvases export).
 */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, page: WebviewPage): string {
  const nonce = randomBytes(16).toString('base64');
  const uri = (relative: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...relative.split('/'))).toString();
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data:`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  const links = page.styles.map((s) => `  <link rel="stylesheet" href="${uri(s)}">`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
${links}
  <title>${escapeHtml(page.title)}</title>
</head>
<body>
  <main id="root" aria-live="polite"></main>
  <script nonce="${nonce}" src="${uri(`dist/webview/${page.script}`)}"></script>
</body>
</html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
