// A minimal VS Code extension: starts `hmic lsp` for the YAML files of an hmic project (docs/editor.md).
"use strict";
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? "";
  const command = vscode.workspace.getConfiguration("hmic").get("command", "hmic").replace("${workspaceFolder}", folder);
  const server = { command, args: ["lsp"], transport: TransportKind.stdio };
  const options = {
    // Only the files hmic reads: criteria/ and evidence/ of a project.
    documentSelector: [{ scheme: "file", language: "yaml", pattern: "**/{criteria,evidence}/**/*.{yaml,yml}" }],
  };
  client = new LanguageClient("hmic", "hmic", server, options);
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
