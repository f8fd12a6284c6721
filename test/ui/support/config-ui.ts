/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The real Homebridge settings UI (homebridge-config-ui-x, pinned in devDependencies) on a
 * loopback port with a temporary storage folder, and a headless Debian Chromium driving it
 * through playwright-core. The plugin is offered to the UI as a private package (its
 * package.json and config.schema.json), so the UI asks no registry about it; outbound HTTP
 * from the UI goes to a dead loopback proxy, so nothing leaves the machine.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, FrameLocator, Locator, Page } from 'playwright-core';
import { freePort, REPO_ROOT } from '../../helpers/homebridge.js';

export const CHROMIUM = [process.env['CHROMIUM_PATH'], '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => !!p && existsSync(p));

const ADMIN = { name: 'Admin', username: 'admin', password: 'form-test-password' };
const UI_ENTRY = join(REPO_ROOT, 'node_modules/homebridge-config-ui-x/dist/bin/standalone.js');

export type Block = Record<string, unknown>;

export class ConfigUi {
  private page: Page | undefined;

  private constructor(
    readonly base: string,
    readonly dir: string,
    readonly storage: string,
    private readonly child: ChildProcess,
    private readonly browser: Browser,
    private readonly token: string,
    readonly log: string[],
  ) {}

  /**
   * Starts the UI on a new temporary storage folder, or on `shared.storage` (a running
   * Homebridge's, whose config.json already has the UI's `config` block on `shared.port`).
   */
  static async start(shared?: { storage: string; port: number }): Promise<ConfigUi> {
    const dir = await mkdtemp(join(tmpdir(), 'velux-config-ui-'));
    const storage = shared?.storage ?? join(dir, 'storage');
    const plugin = join(dir, 'plugins', 'homebridge-velux-climate');
    await mkdir(storage, { recursive: true });
    await mkdir(plugin, { recursive: true });
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(plugin, 'package.json'), JSON.stringify({ ...pkg, private: true }));
    await copyFile(join(REPO_ROOT, 'config.schema.json'), join(plugin, 'config.schema.json'));
    // The custom UI must lie inside the plugin folder (the UI checks its real path); its server
    // part imports dist/ and @homebridge/plugin-ui-utils, which are linked from the repository.
    // `npm run build` copies the chart library into homebridge-ui/public/vendor/; do it when missing.
    if (!existsSync(join(REPO_ROOT, 'homebridge-ui/public/vendor/uPlot.iife.min.js'))) execFileSync(process.execPath, [join(REPO_ROOT, 'scripts/copy-ui-vendor.mjs')]);
    await cp(join(REPO_ROOT, 'homebridge-ui'), join(plugin, 'homebridge-ui'), { recursive: true });
    await symlink(join(REPO_ROOT, 'dist'), join(plugin, 'dist'));
    await symlink(join(REPO_ROOT, 'node_modules'), join(plugin, 'node_modules'));
    const port = shared?.port ?? (await freePort());
    if (!shared) {
      const config = {
        bridge: { name: 'Form test', username: '0E:46:3C:77:10:01', port: 51826, pin: '031-45-154' },
        platforms: [{ platform: 'config', name: 'Config', port, host: '127.0.0.1', enableMdnsAdvertise: false }],
      };
      await writeFile(join(storage, 'config.json'), JSON.stringify(config, null, 2));
    }
    const log: string[] = [];
    const child = spawn(process.execPath, [UI_ENTRY, '-U', storage, '-P', join(dir, 'plugins'), '-T'], {
      env: {
        ...process.env,
        UIX_STRICT_PLUGIN_RESOLUTION: '1',
        HTTP_PROXY: 'http://127.0.0.1:9',
        HTTPS_PROXY: 'http://127.0.0.1:9',
        http_proxy: 'http://127.0.0.1:9',
        https_proxy: 'http://127.0.0.1:9',
        NO_PROXY: '',
        no_proxy: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => log.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
    const base = `http://127.0.0.1:${port}`;
    let browser: Browser | undefined;
    try {
      await waitForUi(base, child, log);
      const created = await fetch(`${base}/api/setup-wizard/create-first-user`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(ADMIN),
      });
      if (!created.ok) throw new Error(`setup API refused the first user: ${created.status} ${await created.text()}`);
      const login = await fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: ADMIN.username, password: ADMIN.password }),
      });
      const { access_token: token } = (await login.json()) as { access_token: string };
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
      return new ConfigUi(base, dir, storage, child, browser, token, log);
    } catch (err) {
      await browser?.close();
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${log.join('')}`);
    }
  }

  get configPath(): string {
    return join(this.storage, 'config.json');
  }

  /** Replaces (or removes, with undefined) the VeluxClimate block in config.json. */
  async setBlock(block: Block | undefined): Promise<void> {
    const config = JSON.parse(await readFile(this.configPath, 'utf8')) as { platforms: Block[] };
    config.platforms = config.platforms.filter((p) => p['platform'] !== 'VeluxClimate');
    if (block) config.platforms.push({ platform: 'VeluxClimate', ...block });
    await writeFile(this.configPath, JSON.stringify(config, null, 2));
  }

  async block(): Promise<Block | undefined> {
    const config = JSON.parse(await readFile(this.configPath, 'utf8')) as { platforms: Block[] };
    return config.platforms.find((p) => p['platform'] === 'VeluxClimate');
  }

  /** Plugins → VELUX Climate → ⋮ → Plugin Config, signed in as the admin. */
  async openSettings(viewport = { width: 1000, height: 900 }): Promise<SettingsForm> {
    const page = await this.signedInPage(viewport);
    await page.click('[aria-label="Plugin Actions Dropdown"]');
    await page.click('button.dropdown-item:has-text("Plugin Config")');
    // The plugin's own pages (homebridge-ui/) open first; their Settings tab shows the generated form.
    await this.openTab(page, 'settings');
    await page.locator('.modal-content input[name="name"]').first().waitFor();
    // Angular settles the form (defaults, conditions) after the first render.
    await page.waitForTimeout(300);
    return new SettingsForm(page, this);
  }

  /**
   * The Plugins page, signed in as the admin. One page for all cases (the UI takes seconds to
   * boot): each case reopens the dialog, which loads config.json afresh.
   */
  private async signedInPage(viewport: { width: number; height: number }): Promise<Page> {
    if (!this.page) {
      const context = await this.browser.newContext({ acceptDownloads: true });
      await context.addInitScript((t) => localStorage.setItem('access_token', t), this.token);
      this.page = await context.newPage();
      // Patient on a loaded machine (CI runs the browser beside the other suites).
      this.page.setDefaultTimeout(20_000);
      await this.page.goto(`${this.base}/plugins`, { timeout: 60_000 });
    }
    await this.page.setViewportSize(viewport);
    return this.page;
  }

  /** Clicks a tab of the plugin's own pages (homebridge-ui/) in the open settings dialog. */
  async openTab(page: Page, tab: string): Promise<FrameLocator> {
    const frame = page.frameLocator('.modal-content iframe');
    // The dialog shows the page once the UI has started its server part: patient on a loaded machine.
    await frame.locator(`#tab-${tab}`).click({ timeout: 30_000 });
    return frame;
  }

  /** The plugin's pages in the settings dialog, signed in; one browser page for all cases. */
  async openPages(viewport = { width: 1000, height: 900 }): Promise<{ page: Page; frame: FrameLocator }> {
    const page = await this.signedInPage(viewport);
    if ((await page.locator('.modal-content iframe').count()) === 0) {
      await page.click('[aria-label="Plugin Actions Dropdown"]');
      await page.click('button.dropdown-item:has-text("Plugin Config")');
    }
    const frame = page.frameLocator('.modal-content iframe');
    await frame.locator('#tab-rooms').waitFor({ timeout: 30_000 });
    return { page, frame };
  }

  async stop(): Promise<void> {
    await this.browser.close().catch(() => {});
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function waitForUi(base: string, child: ChildProcess, log: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the Homebridge UI exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${base}/api/auth/settings`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the Homebridge UI did not start within 60 s\n${log.join('')}`);
}

/** The plugin's settings modal as a user sees it. */
export class SettingsForm {
  readonly modal: Locator;

  constructor(
    readonly page: Page,
    private readonly ui: ConfigUi,
  ) {
    this.modal = page.locator('.modal-content').first();
  }

  saveButton(): Locator {
    return this.page.locator('.modal-footer button:has-text("Save")');
  }

  /**
   * Waits until the plugin's pages have passed every change of the form to the dialog and
   * checked it (they mark #velux data-synced="true"; the form reports a change ~100 ms after it).
   */
  async settled(): Promise<void> {
    const frame = this.page.frameLocator('.modal-content iframe');
    const deadline = Date.now() + 15_000;
    let quietSince = 0;
    while (Date.now() < deadline) {
      const synced = (await frame.locator('#velux').getAttribute('data-synced').catch(() => null)) !== 'false';
      if (!synced) quietSince = 0;
      else if (quietSince === 0) quietSince = Date.now();
      else if (Date.now() - quietSince >= 400) return;
      await this.page.waitForTimeout(50);
    }
    throw new Error('the settings form did not settle within 15 s');
  }

  /** Whether Save is enabled once the form has settled. */
  async saveEnabled(): Promise<boolean> {
    await this.settled();
    return this.saveButton().isEnabled();
  }

  /** Opens every collapsed section (the UI draws expandable fieldsets closed). */
  async expandAll(): Promise<void> {
    for (let clicks = 0; clicks < 50; clicks++) {
      const index = await this.page.evaluate(() =>
        [...document.querySelectorAll('.modal-content legend')].findIndex((legend) => {
          const body = legend.parentElement?.querySelector(':scope > root-widget') as HTMLElement | null;
          return body?.style.display === 'none' && (legend as HTMLElement).offsetParent !== null;
        }),
      );
      if (index < 0) return;
      await this.modal.locator('legend').nth(index).click();
    }
  }

  /**
   * Marks the items of the array whose add button reads `addText` with data-item="<tag>-<i>"
   * (0-based) and returns how many there are.
   */
  async markItems(addText: string, tag: string): Promise<number> {
    return this.page.evaluate(
      ([text, name]) => {
        const button = [...document.querySelectorAll('.modal-content add-reference-widget button')].find((b) => b.textContent?.trim() === text);
        const holder = button?.closest('.cdk-drag');
        const list = holder?.parentElement;
        if (!holder || !list) return -1;
        const items = [...list.children].filter((c) => c !== holder && c.classList.contains('cdk-drag'));
        items.forEach((item, i) => item.setAttribute('data-item', `${name}-${i}`));
        return items.length;
      },
      [addText, tag] as const,
    );
  }

  async clickAdd(addText: string): Promise<void> {
    await this.modal.locator(`add-reference-widget button:has-text("${addText}")`).click();
  }

  /** A part of the form: a marked array item (`gw-1`) or a fieldset by its title. */
  scope(within?: string): Locator {
    if (!within) return this.modal;
    if (/^[a-z]+-\d+$/.test(within)) return this.modal.locator(`[data-item="${within}"]`);
    return this.modal.locator('fieldset').filter({ has: this.page.locator(`:scope > legend:text-is("${within}")`) }).first();
  }

  /** The visible control named `name` in that part. */
  field(name: string, within?: string): Locator {
    return this.scope(within).locator(`input[name="${name}"], select[name="${name}"]`).first();
  }

  /** Names of the visible inputs and selects in that part, in order. */
  async visibleControls(within?: string, type?: string): Promise<string[]> {
    const selector = type ? `input[type="${type}"]` : 'input, select';
    return this.scope(within)
      .locator(selector)
      .evaluateAll((controls) => controls.filter((c) => (c as HTMLElement).offsetParent !== null).map((c) => c.getAttribute('name') ?? ''));
  }

  async fill(values: Record<string, string | number | boolean>, within?: string): Promise<void> {
    for (const [name, value] of Object.entries(values)) {
      const control = this.field(name, within);
      const tag = await control.evaluate((e) => `${e.tagName.toLowerCase()}:${(e as HTMLInputElement).type}`);
      if (tag === 'input:checkbox') {
        // The UI draws its own switch over the input: click the label a user clicks.
        if ((await control.isChecked()) !== value) await control.locator('xpath=..').click();
      } else if (tag.startsWith('select')) {
        await control.selectOption({ label: String(value) });
      } else {
        await control.fill(String(value));
      }
    }
  }

  /** Presses Save and returns the block the UI wrote to config.json. */
  async save(): Promise<Block | undefined> {
    const before = await readFile(this.ui.configPath, 'utf8');
    await this.settled();
    await this.saveButton().click();
    // The UI replaces config.json while saving: for a moment it may be missing or half written.
    const complete = async () => {
      try {
        const text = await readFile(this.ui.configPath, 'utf8');
        JSON.parse(text);
        return text;
      } catch {
        return undefined;
      }
    };
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const now = await complete();
      if (now !== undefined && now !== before) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return this.ui.block();
  }

  /** Closes every open dialog (the settings modal, a restart prompt after Save). */
  async close(): Promise<void> {
    for (let i = 0; i < 5 && (await this.page.locator('.modal-content').count()) > 0; i++) {
      await this.page.keyboard.press('Escape');
      await this.page.waitForTimeout(200);
    }
    if ((await this.page.locator('.modal-content').count()) > 0) throw new Error('a dialog of the Homebridge UI does not close');
  }
}
