// The model overview webview. Filled in by the extension issue.
export {};
