#!/usr/bin/env node
// Validates and renders TA-auth0's Dashboard Studio views in headless Chromium with Splunk's own packages.
//
//   node run.js --views <dir> --fixtures <dir> --out <screenshot dir> [--report <file.json>] [--only <view>]
//
// For each <view>.xml: bundle the page once (esbuild), load it with the view's definition (unchanged) and
// fixtures/<view>.json, collect the preset-schema validation errors, DashboardCore's own validation errors,
// page errors, console errors and every visualization's state, and write <out>/<view>.png.
// Exit 0: everything valid and populated; 1: a failure (printed); 2: bad usage or setup;
// 3: Chromium cannot start (the Python wrapper skips the tier on this code only).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

const EXIT_FAIL = 1;
const EXIT_USAGE = 2;
const EXIT_NO_BROWSER = 3;
const SETTLE_TIMEOUT_MS = 30000;
const INVALID_SETTLE_MS = 5000;
const VIEWPORT = { width: 1440, height: 900 };
// Known harmless console output (docs/dashboards.md); anything else at level "error" fails.
const IGNORED_CONSOLE = [/favicon\.ico/, /Failed to load resource: net::ERR_FILE_NOT_FOUND/];

function parseArgs(argv) {
    const args = { only: null, report: null };
    for (let i = 0; i < argv.length; i += 2) {
        const key = argv[i].replace(/^--/, '');
        if (!['views', 'fixtures', 'out', 'report', 'only'].includes(key) || argv[i + 1] === undefined) {
            throw new Error(`unknown or incomplete option ${argv[i]}`);
        }
        args[key] = argv[i + 1];
    }
    for (const required of ['views', 'fixtures', 'out']) {
        if (!args[required]) throw new Error(`--${required} is required`);
    }
    return args;
}

function readDefinition(file) {
    const xml = fs.readFileSync(file, 'utf8');
    const match = /<definition>\s*<!\[CDATA\[([\s\S]*?)\]\]>\s*<\/definition>/.exec(xml);
    if (!match) throw new Error(`${file}: no <definition><![CDATA[...]]></definition>`);
    return JSON.parse(match[1]);
}

async function bundle(workDir) {
    const esbuild = require('esbuild');
    await esbuild.build({
        entryPoints: [path.join(__dirname, 'page.jsx')],
        bundle: true,
        outfile: path.join(workDir, 'bundle.js'),
        loader: { '.js': 'jsx' },
        jsx: 'automatic',
        define: { 'process.env.NODE_ENV': '"production"', global: 'window' },
        logLevel: 'error',
    });
    fs.writeFileSync(
        path.join(workDir, 'index.html'),
        '<!doctype html><html><head><meta charset="utf-8"><title>TA-auth0 dashboard</title>' +
            '<link rel="stylesheet" href="bundle.css"></head>' +
            '<body style="margin:0;background:#f2f4f5"><div id="root"></div><script src="bundle.js"></script></body></html>'
    );
}

async function launch() {
    const { chromium } = require('playwright-core');
    const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
    if (!fs.existsSync(executablePath)) {
        throw Object.assign(new Error(`no Chromium at ${executablePath} (set CHROMIUM or apt-get install chromium)`), { noBrowser: true });
    }
    try {
        return await chromium.launch({
            executablePath,
            headless: true,
            args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--font-render-hinting=none'],
            env: { ...process.env, TZ: 'UTC' },
            timeout: 60000,
        });
    } catch (error) {
        throw Object.assign(new Error(`Chromium at ${executablePath} did not start: ${error.message.split('\n')[0]}`), { noBrowser: true });
    }
}

async function waitForVisualizations(page) {
    const started = Date.now();
    let report = {};
    let lastKey = '';
    let stableSince = 0;
    while (Date.now() - started < SETTLE_TIMEOUT_MS) {
        const [current, invalid] = await page.evaluate(() => [
            window.__inspectVisualizations__ ? window.__inspectVisualizations__() : null,
            window.__HARNESS__.renderValidationErrors.length + Object.keys(window.__HARNESS__.schemaErrors).length,
        ]);
        report = current;
        // an invalid definition already fails; what it leaves undrawn need not be waited for
        if (invalid && Date.now() - started > INVALID_SETTLE_MS) return report || {};
        if (report) {
            const states = Object.values(report).map((v) => v.state);
            const key = JSON.stringify(report);
            if (!states.includes('pending')) {
                // settled when neither content nor any panel's box changed for 1.5 s (layout passes, animations)
                if (key === lastKey && Date.now() - stableSince >= 1500) return report;
                if (key !== lastKey) stableSince = Date.now();
            }
            lastKey = key;
        }
        await page.waitForTimeout(250);
    }
    return report || {};
}

async function renderView(browser, workDir, view, definition, fixtures, outDir) {
    const page = await browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1, reducedMotion: 'reduce' });
    const pageErrors = [];
    const consoleErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
        if (message.type() === 'error' && !IGNORED_CONSOLE.some((re) => re.test(message.text()))) {
            consoleErrors.push(message.text().slice(0, 500));
        }
    });
    await page.addInitScript((c) => {
        window.__DASHBOARD_CASE__ = c;
    }, { definition, fixtures });
    const started = Date.now();
    await page.goto('file://' + path.join(workDir, 'index.html'));
    await page.waitForFunction(() => window.__HARNESS__ && window.__HARNESS__.rendered, null, { timeout: SETTLE_TIMEOUT_MS });
    await page.evaluate(() => document.fonts.ready);
    let visualizations = await waitForVisualizations(page);
    // A full-page screenshot resizes the viewport, which makes the grid lay itself out again mid-capture: instead,
    // grow the viewport to the page's height, let it settle again, and capture the viewport.
    for (let i = 0; i < 3; i += 1) {
        const height = await page.evaluate(() => Math.ceil(document.documentElement.scrollHeight));
        if (height <= page.viewportSize().height) break;
        await page.setViewportSize({ width: VIEWPORT.width, height });
        visualizations = await waitForVisualizations(page);
    }
    const harness = await page.evaluate(() => ({
        schemaErrors: window.__HARNESS__.schemaErrors,
        renderValidationErrors: window.__HARNESS__.renderValidationErrors,
        requested: Array.from(new Set(window.__FIXTURE_REQUESTS__)),
    }));
    const screenshot = path.join(outDir, `${view}.png`);
    await page.screenshot({ path: screenshot });
    await page.close();
    return { view, ms: Date.now() - started, screenshot, visualizations, pageErrors, consoleErrors, ...harness };
}

function problemsOf(result) {
    const problems = [];
    for (const [preset, errors] of Object.entries(result.schemaErrors)) {
        for (const e of errors) {
            problems.push(`schema (${preset} preset): ${e.instancePath || e.dataPath || ''} ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`);
        }
    }
    for (const errors of result.renderValidationErrors) problems.push(`DashboardCore validation: ${JSON.stringify(errors).slice(0, 1000)}`);
    for (const e of result.pageErrors) problems.push(`page error: ${e}`);
    for (const e of result.consoleErrors) problems.push(`console error: ${e}`);
    for (const [id, v] of Object.entries(result.visualizations)) {
        if (v.state === 'error') problems.push(`${id} (${v.type}) reports an error: ${v.detail}`);
        else if (v.state !== 'ok') problems.push(`${id} (${v.type}) rendered empty${v.detail ? ': ' + v.detail : ''}`);
    }
    return problems;
}

async function main() {
    let args;
    try {
        args = parseArgs(process.argv.slice(2));
    } catch (error) {
        console.error(`usage error: ${error.message}`);
        return EXIT_USAGE;
    }
    const views = fs.readdirSync(args.views).filter((f) => f.endsWith('.xml')).map((f) => f.slice(0, -4))
        .filter((v) => !args.only || v === args.only).sort();
    if (!views.length) {
        console.error(`no views in ${args.views}`);
        return EXIT_USAGE;
    }
    fs.mkdirSync(args.out, { recursive: true });
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ta-auth0-dash-'));
    const t0 = Date.now();
    let browser;
    try {
        await bundle(workDir);
        const bundled = Date.now();
        try {
            browser = await launch();
        } catch (error) {
            console.error(error.message);
            return error.noBrowser ? EXIT_NO_BROWSER : EXIT_USAGE;
        }
        const results = [];
        for (const view of views) {
            const definition = readDefinition(path.join(args.views, `${view}.xml`));
            const fixtureFile = path.join(args.fixtures, `${view}.json`);
            const fixtures = fs.existsSync(fixtureFile) ? JSON.parse(fs.readFileSync(fixtureFile, 'utf8')).dataSources : {};
            const result = await renderView(browser, workDir, view, definition, fixtures, args.out);
            result.problems = problemsOf(result);
            results.push(result);
            const counts = Object.values(result.visualizations).reduce((acc, v) => ({ ...acc, [v.state]: (acc[v.state] || 0) + 1 }), {});
            console.log(`${view}: ${result.problems.length ? 'FAIL' : 'ok'} in ${result.ms} ms, visualizations ${JSON.stringify(counts)}, ` +
                `fixtures requested ${result.requested.length}, screenshot ${result.screenshot}`);
            for (const p of result.problems) console.log(`  - ${p}`);
        }
        const summary = { bundleMs: bundled - t0, totalMs: Date.now() - t0, results };
        if (args.report) fs.writeFileSync(args.report, JSON.stringify(summary, null, 1));
        console.log(`bundle ${summary.bundleMs} ms, total ${summary.totalMs} ms`);
        return results.some((r) => r.problems.length) ? EXIT_FAIL : 0;
    } finally {
        if (browser) await browser.close();
        fs.rmSync(workDir, { recursive: true, force: true });
    }
}

main().then((code) => process.exit(code), (error) => {
    console.error(error && error.stack ? error.stack : String(error));
    process.exit(EXIT_FAIL);
});
