// What every browser test shares: Debian's Chromium driven by playwright-core, pages that
// must never leave the service's origin, axe-core on every page with a screenshot kept in
// artifacts/, and API calls to set up data. Run by ./infra/test against ./infra/run's server.
import { chromium } from 'playwright-core'
import { createRequire } from 'node:module'
import { mkdirSync, appendFileSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { randomUUID } from 'node:crypto'
import { deflateSync } from 'node:zlib'

export const BASE = (process.env.C2S_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '')
const ORIGIN = new URL(BASE).origin
export const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url))
mkdirSync(ARTIFACTS, { recursive: true })
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/** Debian's Chromium, never a downloaded browser; no background traffic to Google. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--lang=fr-FR',
    ],
  })
}

/**
 * A new page in its own context (no shared session), French, at `width` pixels wide.
 * Every request that leaves the origin is recorded and fails the next audit().
 */
export async function newPage(browser, { width = 1280, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale: 'fr-FR' })
  const page = await context.newPage()
  page.offOrigin = []
  page.errors = []
  page.on('request', (req) => {
    const url = new URL(req.url())
    // data:, blob: and the browser's own chrome:// (its PDF viewer) are not the network.
    if (!['http:', 'https:'].includes(url.protocol)) return
    if (url.origin !== ORIGIN) page.offOrigin.push(req.url())
  })
  page.on('pageerror', (e) => page.errors.push(String(e)))
  // What the Content-Security-Policy blocked would silently be missing from the page.
  page.on('console', (m) => {
    if (m.type() === 'error' && m.text().includes('Content Security Policy')) page.errors.push(m.text())
  })
  return page
}

/**
 * Checks the page as it is now: axe-core (WCAG 2.1 A and AA rules, as RGAA 4 maps them)
 * must find no serious or critical violation, the page must fit the screen's width, nothing
 * may have left the origin, and no script error may have happened. Saves a full-page screenshot and appends the results to
 * artifacts/axe.jsonl for the report.
 */
/**
 * `audit` at both widths the service is held to, 1280 and 320 px, whatever the page's own
 * (its width is given back after): `name` at the wider, `name-320` at the narrower.
 */
export async function auditBoth(page, name) {
  const size = page.viewportSize()
  await page.setViewportSize({ width: 1280, height: 900 })
  await audit(page, name)
  await page.setViewportSize({ width: 320, height: 800 })
  await audit(page, `${name}-320`)
  await page.setViewportSize(size)
}

export async function audit(page, name) {
  await page.waitForLoadState('networkidle')
  // A message still fading or sliding in is not at its final contrast yet.
  await page
    .waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'), null, { timeout: 5000 })
    .catch(() => {})
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true })
  // Evaluated by the driver rather than added as a <script>: the page's own
  // Content-Security-Policy rightly refuses inline scripts.
  await page.evaluate(AXE)
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }),
  )
  const count = (impact) => result.violations.filter((v) => v.impact === impact).length
  const entry = {
    page: name,
    url: new URL(page.url()).pathname,
    passes: result.passes.length,
    critical: count('critical'),
    serious: count('serious'),
    moderate: count('moderate'),
    minor: count('minor'),
    rules: result.violations.map((v) => `${v.id} (${v.impact}, ${v.nodes.length})`),
  }
  appendFileSync(`${ARTIFACTS}axe.jsonl`, JSON.stringify(entry) + '\n')
  const blocking = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  if (blocking.length) {
    const detail = blocking
      .map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`)
      .join('\n')
    throw new Error(`axe on ${name}:\n${detail}`)
  }
  // Nothing wider than the screen: no sideways scrolling, down to 320 pixels.
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }))
  if (scroll > width) throw new Error(`${name}: the page is ${scroll} px wide on a ${width} px screen`)
  // Nothing cut: text wider than a box that hides its overflow (an ellipsis in a label, a
  // table in a hidden-overflow wrapper) is lost to the reader though the page fits.
  const clipped = await page.evaluate(clippedText)
  // C2S_LIST_CUTS=1 lists every page's cuts in artifacts/cuts.jsonl instead of stopping at the first.
  if (clipped.length && process.env.C2S_LIST_CUTS) appendFileSync(`${ARTIFACTS}cuts.jsonl`, JSON.stringify({ page: name, clipped }) + '\n')
  else if (clipped.length) throw new Error(`${name}: text cut off by its box: ${clipped.join(' | ')}`)
  // French typography: the first of a month is "1er".
  const firsts = await page.evaluate(() =>
    [...document.body.innerText.matchAll(/(?<![\d,])\b1 (janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre)\b/g)].map((m) => m[0]),
  )
  if (firsts.length) throw new Error(`${name}: "${firsts[0]}" should read "1er …"`)
  if (page.offOrigin.length) throw new Error(`${name}: requests left the origin: ${page.offOrigin.join(', ')}`)
  if (page.errors.length) throw new Error(`${name}: script errors: ${page.errors.join('; ')}`)
  return entry
}

/**
 * Runs in the page: the visible elements whose content is wider than their box while the
 * box hides what overflows (overflow hidden or clip, or an ellipsis), described by their
 * text. A box that scrolls (a table region one can scroll with the keyboard) is not cut.
 */
function clippedText() {
  const found = []
  for (const el of document.body.querySelectorAll('*')) {
    const style = getComputedStyle(el)
    const hides = ['hidden', 'clip'].includes(style.overflowX) || style.textOverflow === 'ellipsis'
    // Under 4 px wide is a text kept for screen readers only (sr-only), not a cut one.
    if (!hides || el.clientWidth < 4 || el.scrollWidth <= el.clientWidth + 1) continue
    if (style.visibility === 'hidden' || el.closest('[aria-hidden="true"], .v-overlay, svg')) continue
    const text = (el.innerText ?? '').trim().replace(/\s+/g, ' ')
    // Only what a reader would miss: a box that holds text (icons and inputs' own scrolling aside).
    if (!text || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName)) continue
    found.push(`${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/)[0] : ''} « ${text.slice(0, 40)} » ${el.scrollWidth}>${el.clientWidth}`)
  }
  return found.slice(0, 8)
}

/** Waits for the page whose main heading holds `text`. */
export async function heading(page, text) {
  await page.locator('main h1').filter({ hasText: text }).waitFor()
}

/** The development identity provider's page (the caisses' SSO locally): who the agent is, in Rouen, then back with a code. */
export async function agentProviderForm(page, { sub, name, roles }) {
  await page.getByLabel("Numéro d'agent").fill(sub)
  await page.getByLabel('Prénom et nom').fill(name)
  await page.getByLabel('Caisse').selectOption({ label: 'CPAM Rouen-Elbeuf-Dieppe' })
  for (const role of ['instructeur', 'superviseur', 'admin_partenaires', 'dpo']) {
    const box = page.locator(`#agent-role-${role}`)
    if (roles.includes(role)) await box.check()
    else await box.uncheck()
  }
  await page.getByRole('button', { name: 'Se connecter', exact: true }).click()
}

/**
 * Moves the focus with Tab alone until it reaches the control whose name (its label, its
 * aria-label or its text) starts with `name`; fails when no keyboard path leads there.
 */
export async function tabTo(page, name, { max = 80 } = {}) {
  const focused = () =>
    page.evaluate(() => {
      const el = document.activeElement
      if (!el) return ''
      const byIds = (ids) => ids.split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join(' ')
      return (el.labels?.[0]?.textContent ?? el.getAttribute('aria-label') ?? (el.getAttribute('aria-labelledby') ? byIds(el.getAttribute('aria-labelledby')) : el.textContent) ?? '').trim()
    })
  for (let i = 0; i < max; i++) {
    if ((await focused()).startsWith(name)) return
    await page.keyboard.press('Tab')
  }
  throw new Error(`no keyboard path to « ${name} »`)
}

/** Replaces the value of the field labelled `label`, reached with Tab, by `text` typed. */
export async function retype(page, label, text) {
  await tabTo(page, label)
  await page.keyboard.press('Control+A')
  await page.keyboard.type(text)
}

/** `days` after today, AAAA-MM-JJ (UTC, as the API counts). */
export const inDays = (days) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10)
/** "2026-03-04" → "4 mars 2026", "2026-03-01" → "1er mars 2026": the pages' long dates. */
export const longDate = (iso) =>
  new Date(`${iso}T00:00:00Z`).toLocaleDateString('fr-FR', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).replace(/^1 /, '1er ')
/** "2026-03-04" → "04/03/2026", as a date field is typed. */
export const typedDate = (iso) => iso.split('-').reverse().join('/')

/**
 * Chooses `option` in the select `selector` with the keyboard alone: focus, Enter opens its
 * list (awaited: on a slow machine a key pressed before it is open goes to the field), arrows
 * move through it, Enter chooses. The select must then show the option: a key lost to a
 * transition fails here, by name, rather than later as a list that never changed.
 */
export async function chooseByKeyboard(page, selector, option) {
  const field = page.locator(selector)
  await field.focus()
  await page.keyboard.press('Enter')
  await page.locator('.v-menu > .v-overlay__content [role="option"]').first().waitFor()
  const active = () => page.evaluate(() => (document.activeElement?.getAttribute('role') === 'option' ? document.activeElement.textContent.trim() : null))
  for (let i = 0; i < 12; i++) {
    if ((await active()) === option) {
      await page.keyboard.press('Enter')
      await menusClosed(page)
      const shown = () => field.evaluate((input) => input.closest('.v-select')?.querySelector('.v-select__selection-text')?.textContent.trim() ?? '')
      await page
        .waitForFunction(([sel, want]) => document.querySelector(sel)?.closest('.v-select')?.querySelector('.v-select__selection-text')?.textContent.trim() === want, [selector, option], { timeout: 2000 })
        .catch(async () => {
          throw new Error(`the select ${selector} shows « ${await shown()} » after choosing « ${option} »`)
        })
      return
    }
    await page.keyboard.press('ArrowDown')
    await page.waitForTimeout(100)
  }
  throw new Error(`no keyboard path to the option « ${option} »`)
}

/**
 * Waits until every menu (a select's list) has closed: Vuetify gives the focus back to the
 * select only then, and typing elsewhere before would lose keys to it on a slow machine.
 */
export async function menusClosed(page) {
  await page.waitForFunction(() => document.querySelectorAll('.v-menu > .v-overlay__content').length === 0, null, { timeout: 10_000 })
}

/**
 * Waits until the form's error summary has taken the focus, as it does when errors appear
 * (RGAA 11.10); typing before that would race with the focus moving away.
 */
export async function errorsFocused(page) {
  await page.waitForFunction(() => Boolean(document.activeElement?.closest('.summary-box')), null, { timeout: 10_000 })
}

/** The person of a partner's signalement or request form: Mme Marie Durand, born 12/05/1984, living in the 76. */
export async function aboutMarie(page) {
  await page.getByLabel('Madame').check()
  await page.getByLabel('Nom', { exact: true }).fill('Durand')
  await page.getByLabel('Prénom', { exact: true }).fill('Marie')
  await page.getByLabel('Date de naissance').fill('12/05/1984')
  await page.getByLabel('Département de résidence').fill('76')
}

/** A JSON call to the API; throws with `status` and `code` on anything but 2xx. */
export async function api(method, path, body, token) {
  const headers = { accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (token) headers.authorization = `Bearer ${token}`
  const res = await fetch(BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  const data = text ? JSON.parse(text) : null
  if (!res.ok) {
    const e = new Error(`${method} ${path}: ${res.status} ${data?.code ?? ''}`)
    e.status = res.status
    e.code = data?.code
    e.body = data
    throw e
  }
  return data
}

/** An agent token from the development identity provider, for the API calls that set data up (the pages sign in with OpenID Connect). */
export async function agentToken({ sub = 'A0001', name = 'Agent Test', caisse = 'rouen-elbeuf-dieppe', roles = ['instructeur'] } = {}) {
  return (await api('POST', '/dev/token', { sub, name, caisse, roles })).token
}

/** A person of the demo file (/dev/demo) by name, e.g. 'Marie Durand'. */
export async function demoAccount(who) {
  const { accounts } = await api('GET', '/dev/demo')
  const found = accounts.find((a) => a.who === who)
  if (!found) throw new Error(`no demo account ${who}`)
  return found
}

/**
 * A new invented beneficiary nobody else has used, imported through the real path
 * (POST /dev/beneficiaries): { nir, birth_date, renewal_code, iban_last4, vitale_serial, caisse, who }.
 */
export async function freshBeneficiary({ caisse = 'rouen-elbeuf-dieppe', months = 2, household = [] } = {}) {
  return (await api('POST', '/dev/beneficiaries', { caisse, months, household })).account
}

/** The messages people would have received (activation links, reminders). */
export async function outbox() {
  return (await api('GET', '/dev/outbox')).messages
}

export function uniqueEmail(prefix = 'test') {
  return `${prefix}-${randomUUID().slice(0, 8)}@ccas-exemple.fr`
}

/** A tiny valid PDF: the server checks the magic bytes. */
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n')

/** A small real PNG (a grey page with a dark band), built here: the server checks magic bytes. */
export function png(width = 240, height = 120) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    return c >>> 0
  })
  const crc = (buf) => {
    let c = 0xffffffff
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8)
    return (c ^ 0xffffffff) >>> 0
  }
  const chunk = (type, data) => {
    const out = Buffer.alloc(12 + data.length)
    out.writeUInt32BE(data.length, 0)
    out.write(type, 4, 'ascii')
    data.copy(out, 8)
    out.writeUInt32BE(crc(out.subarray(4, 8 + data.length)), 8 + data.length)
    return out
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header[8] = 8 // bit depth
  header[9] = 0 // greyscale
  const rows = Buffer.alloc((width + 1) * height)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rows[y * (width + 1) + 1 + x] = y > 40 && y < 60 ? 40 : 230
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

/**
 * A renewal submitted by a fresh beneficiary of `caisse` through the API, with its
 * documents ([kind, filename, content type, bytes]; a PDF tax notice by default), once the
 * server has checked them: { account, token, id }.
 */
export async function submittedRenewal({ caisse = 'rouen-elbeuf-dieppe', documents = [['tax_notice', 'avis.pdf', 'application/pdf', PDF]] } = {}) {
  const account = await freshBeneficiary({ caisse })
  const { token } = await api('POST', '/api/auth/beneficiary', {
    nir: account.nir, birth_date: account.birth_date, renewal_code: account.renewal_code,
  })
  const draft = await api('POST', '/api/renewals', {}, token)
  await api('PUT', `/api/renewals/${draft.id}`, {
    version: draft.version,
    household: draft.household,
    resources: [{ member: 'applicant', kind: 'salary', annual_cents: 600000 }],
    housing: { status: 'tenant', housing_aid_cents: 25000 },
    manager: 'caisse',
  }, token)
  for (const [kind, filename, type, bytes] of documents) {
    const announced = await api('POST', `/api/renewals/${draft.id}/documents`, { kind, filename, content_type: type, size: bytes.length }, token)
    const put = await fetch(announced.upload.url, { method: 'PUT', headers: announced.upload.headers, body: bytes })
    if (!put.ok) throw new Error(`upload of ${filename}: ${put.status}`)
  }
  await documentsChecked(draft.id, token)
  await api('POST', `/api/renewals/${draft.id}/submit`, {}, token)
  return { account, token, id: draft.id }
}

/** Waits until the server has checked every uploaded document (antivirus included). */
export async function documentsChecked(id, token) {
  for (let i = 0; i < 300; i++) {
    const r = await api('GET', `/api/renewals/${id}`, undefined, token)
    if (!r.missing.includes('documents_pending')) return r
    await new Promise((ok) => setTimeout(ok, 100))
  }
  throw new Error('documents still being checked after 30 s')
}
