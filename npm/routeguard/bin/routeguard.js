#!/usr/bin/env node
// Runs the routeguard binary that npm installed with this package: each platform's binary is an
// optional dependency (@routeguard/cli-<platform>-<arch>) that npm installs only where its `os`
// and `cpu` match, so an install downloads one binary and compiles nothing.
"use strict";

const { spawnSync } = require("child_process");
const path = require("path");

const SUPPORTED = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "win32-x64"];

function fail(message) {
  process.stderr.write(`routeguard: error: ${message}\n`);
  process.exit(2);
}

function binaryPath() {
  // An explicit binary wins, e.g. one built from source on an unsupported platform.
  if (process.env.ROUTEGUARD_BINARY) {
    return process.env.ROUTEGUARD_BINARY;
  }
  const platform = `${process.platform}-${process.arch}`;
  if (!SUPPORTED.includes(platform)) {
    fail(
      `no prebuilt routeguard binary for ${platform} (there are for ${SUPPORTED.join(", ")}); ` +
        "build one from source (`cargo install routeguard --locked`) and point ROUTEGUARD_BINARY at it",
    );
  }
  const name = `@routeguard/cli-${platform}`;
  let manifest;
  try {
    manifest = require.resolve(`${name}/package.json`);
  } catch {
    fail(
      `the package ${name}, which carries the binary for this platform, is not installed; ` +
        "npm skips it when optional dependencies are omitted (--omit=optional, --no-optional): " +
        "reinstall routeguard without that option",
    );
  }
  const executable = process.platform === "win32" ? "routeguard.exe" : "routeguard";
  return path.join(path.dirname(manifest), executable);
}

const binary = binaryPath();
const result = spawnSync(binary, process.argv.slice(2), { stdio: "inherit", windowsHide: true });
if (result.error) {
  fail(`cannot run ${binary}: ${result.error.message}`);
}
if (result.signal) {
  // Die of the same signal, so that callers see what the binary saw.
  process.kill(process.pid, result.signal);
}
process.exit(result.status === null ? 2 : result.status);
