// FlowFuse Dashboard 2 for the dashboard examples (flows/dashboard/): the palette does not depend on it (it is
// ~135 MB with its own dependencies, and a flow needs it only to show a dashboard). npm start installs it into its
// own user directory on the first run; the dashboard browser test installs it into a cache under .scratch/.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

/** The release the examples were made and tested with. */
const DASHBOARD_PACKAGE = { name: '@flowfuse/node-red-dashboard', version: '1.31.0' };

/** Where a Node-RED user directory would hold it. */
function dashboardDir(userDir) {
  return path.join(userDir, 'node_modules', ...DASHBOARD_PACKAGE.name.split('/'));
}

/** Is Dashboard 2 installed in this user directory (any 1.x release)? */
function hasDashboard(userDir) {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dashboardDir(userDir), 'package.json'), 'utf8'));
    return /^1\./.test(pkg.version);
  } catch {
    return false;
  }
}

/**
 * Installs Dashboard 2 into `userDir` (which has a package.json) with npm, as the palette manager does, unless it is
 * there already. npm removes what its package.json does not list from node_modules (a linked palette, say): link
 * those again afterwards. Returns { ok: true, installed } or { ok: false, message }.
 */
function ensureDashboard(userDir, options = {}) {
  if (hasDashboard(userDir)) return { ok: true, installed: false };
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const spec = `${DASHBOARD_PACKAGE.name}@${DASHBOARD_PACKAGE.version}`;
  const result = spawnSync(npm, ['install', '--no-audit', '--no-fund', '--loglevel=error', '--save', spec], {
    cwd: userDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: options.timeoutMs ?? 300000,
  });
  if (result.status !== 0 || !hasDashboard(userDir)) {
    const why = (result.error && result.error.message) || (result.stderr || '').trim().split('\n').slice(-3).join(' ') || `npm exited with ${result.status}`;
    return { ok: false, message: `could not install ${spec} into ${userDir}: ${why}` };
  }
  return { ok: true, installed: true };
}

module.exports = { DASHBOARD_PACKAGE, dashboardDir, hasDashboard, ensureDashboard };
