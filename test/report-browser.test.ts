// The HTML report in a real browser (Debian's Chromium, driven by playwright-core): the report of a
// FAILING check (traces/paper/election-3-nodes.json with a wrong commitIndex expected at step 11)
// opens with the failing step selected and highlighted, has an SVG arrow for every delivered
// message, shows each server's state as the model has it at every step, moves the selection with
// the keyboard and a click, fetches nothing, and leaves a screenshot in test-artifacts/.
//
// Chromium is installed with apt-get when /usr/bin/chromium is missing (.ci/run does it before
// `npm test` too); if it cannot be installed the test fails with the reason, it is never skipped.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { describeMessage } from '../spec/canonical.js';
import { applyEvent, initCluster, type ClusterState } from '../model/cluster.js';
import { main } from '../conformance/cli.js';
import { wrongCommit } from './report-fixtures.js';

// The few DOM names the functions run in the page use (this project's TypeScript has no DOM library).
interface DomElement {
  readonly textContent: string | null;
  readonly dataset: Record<string, string | undefined>;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
}
declare const document: { readonly body: DomElement; querySelectorAll(selector: string): ArrayLike<DomElement> };
declare function getComputedStyle(e: unknown): { readonly fill: string };

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve('test-artifacts');

/** Debian's chromium, installed if missing; throws with the reason when it cannot be. */
function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const apt = (args: string[]) => {
    const [cmd, ...rest] = [...sudo, 'apt-get', ...args];
    execFileSync(cmd as string, rest, { stdio: 'pipe', timeout: 15 * 60_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  };
  const reason = (e: unknown) => String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim().split('\n').slice(-3).join(' | ');
  try {
    apt(['install', '-y', 'chromium']);
  } catch (first) {
    try {
      apt(['update']);
      apt(['install', '-y', 'chromium']);
    } catch (second) {
      throw new Error(`${CHROMIUM} is missing and apt-get could not install chromium: ${reason(second)} (first attempt: ${reason(first)})`);
    }
  }
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium but ${CHROMIUM} is still missing`);
}

const trace = wrongCommit();
const FAILING_STEP = 11;
let context: BrowserContext;
let page: Page;
const requests: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  ensureChromium();
  const dir = mkdtempSync(join(tmpdir(), 'raftspec-browser-'));
  const file = join(dir, 'wrong-commit.json');
  writeFileSync(file, JSON.stringify(trace));
  const html = join(dir, 'wrong-commit.html');
  const lines: string[] = [];
  const code = main(['check', file, '--html', html], (l) => lines.push(l));
  expect(code, lines.join('\n')).toBe(1);
  context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1500, height: 950 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('request', (r) => { if (!/^(file|data|about):/.test(r.url())) requests.push(r.url()); });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
  await page.goto(pathToFileURL(html).href);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
}, 20 * 60_000);

afterAll(async () => {
  await context?.close();
});

const selectedStep = async () => Number(await page.evaluate(() => document.body.dataset.step));

/** The model's cluster after every step (the state the page should show). */
function modelStates(): ClusterState[] {
  let c = initCluster(trace.cluster, trace.options, trace.initial, trace.configuration);
  return trace.steps.map((s) => {
    const r = applyEvent(c, s.event);
    if ('error' in r) throw new Error(r.error);
    c = r.state;
    return c;
  });
}

describe('the HTML report of a failing check, in Chromium', () => {
  it('opens at the failing step, highlighted, with the failure beside it', async () => {
    expect(pageErrors).toEqual([]);
    expect(await selectedStep()).toBe(FAILING_STEP);
    const failing = page.locator('#run0 .row.failing');
    expect(await failing.count()).toBe(1);
    expect(await failing.getAttribute('data-step')).toBe(String(FAILING_STEP));
    // Highlighted: painted, not transparent like the other rows.
    const fill = (sel: string) => page.locator(sel).evaluate((e) => getComputedStyle(e).fill);
    expect(await fill('#run0 .row[data-step="3"]')).toMatch(/rgba\(0, 0, 0, 0\)|transparent|none/);
    expect(await fill('#run0 .row.failing')).not.toMatch(/rgba\(0, 0, 0, 0\)|transparent|none/);
    expect(await page.locator('#failure h2').textContent()).toContain(`Fails at step ${FAILING_STEP}`);
    expect(await page.locator('#failure table.side').textContent()).toContain('commitIndex');
    expect(await page.locator('#failure .rules-text').textContent()).toContain('LEA-4 Commit');
    // The field the trace got wrong is marked in s1's state, beside what the trace expects.
    const row = page.locator('#servers .server[data-server="s1"] tr[data-field="commitIndex"] td');
    expect(await row.allTextContents()).toEqual(['1', '0']);
    expect(await row.first().getAttribute('class')).toMatch(/\bchanged\b.*\bmismatch\b|\bmismatch\b.*\bchanged\b/);
  });

  it('has an SVG arrow for every delivered message, ending at the step that delivered it', async () => {
    const delivers = trace.steps.flatMap((s, i) => (s.event.type === 'deliver' ? [{ i, name: describeMessage(s.event.message) }] : []));
    expect(delivers.length).toBeGreaterThan(10);
    expect(await page.locator('#run0 line.arrow.deliver').count()).toBe(delivers.length);
    for (const d of delivers) {
      const arrow = page.locator(`#run0 line.arrow.deliver[data-end="${d.i}"]`);
      expect(await arrow.count(), `step ${d.i}`).toBe(1);
      expect(await arrow.locator('title').textContent()).toContain(d.name);
      expect(Number(await arrow.getAttribute('data-send'))).toBeLessThan(d.i);
    }
  });

  it('moves the selection with ArrowRight, ArrowLeft, Home, End and a click', async () => {
    await page.keyboard.press('ArrowRight');
    expect(await selectedStep()).toBe(FAILING_STEP + 1);
    expect(await page.locator('#run0 .row.selected').getAttribute('data-step')).toBe(String(FAILING_STEP + 1));
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    expect(await selectedStep()).toBe(FAILING_STEP - 1);
    expect(await page.locator('#step h2').textContent()).toContain(`Step ${FAILING_STEP - 1} of ${trace.steps.length - 1}`);
    await page.keyboard.press('End');
    expect(await selectedStep()).toBe(trace.steps.length - 1);
    await page.keyboard.press('ArrowRight');
    expect(await selectedStep()).toBe(trace.steps.length - 1);
    await page.keyboard.press('Home');
    expect(await selectedStep()).toBe(0);
    await page.locator('#run0 .row[data-step="5"]').click({ force: true });
    expect(await selectedStep()).toBe(5);
    expect(await page.locator('#run0 .row.selected').count()).toBe(1);
  });

  it("shows every server's state as the model has it, at every step", async () => {
    const states = modelStates();
    await page.keyboard.press('Home');
    for (let i = 0; i < trace.steps.length; i++) {
      const shown = await page.evaluate(() => Array.from(document.querySelectorAll('#servers .server')).map((card) => {
        const cell = (f: string) => card.querySelector(`tr[data-field="${f}"] td`)?.textContent ?? '?';
        return `${card.dataset.server} ${cell('role')} t${cell('currentTerm')} v=${cell('votedFor')} c${cell('commitIndex')} a${cell('lastApplied')} log${card.querySelectorAll('table.loggrid td.entry').length}`;
      }));
      const c = states[i] as ClusterState;
      expect(shown, `step ${i}`).toEqual(trace.cluster.map((id) => {
        const s = c.nodes[id];
        if (!s) throw new Error(id);
        return `${id} ${s.role} t${s.currentTerm} v=${s.votedFor ?? 'null'} c${s.commitIndex} a${s.lastApplied} log${s.log.lastIndex - s.snapshotIndex}`;
      }));
      await page.keyboard.press('ArrowRight');
    }
  });

  it('fetches nothing, and leaves a screenshot of the failing step', async () => {
    await page.locator('#failure button[data-goto]').click();
    expect(await selectedStep()).toBe(FAILING_STEP);
    expect(requests).toEqual([]);
    expect(pageErrors).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    const png = join(ARTIFACTS, 'report-browser-failing-check.png');
    await page.screenshot({ path: png, fullPage: false });
    expect(statSync(png).size).toBeGreaterThan(20_000);
  });
});
