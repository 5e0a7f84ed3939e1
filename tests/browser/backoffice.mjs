// What the back-office's page tests share: axe at both widths, a page's heading, an agent
// signed in through the development identity provider, and data set up through the API (a
// partner organisation with an activated gestionnaire, a signalement of it).
import assert from 'node:assert/strict'
import { BASE, api, agentToken, auditBoth, outbox, uniqueEmail } from './harness.mjs'

export const ROUEN = 'rouen-elbeuf-dieppe'
const PASSWORD = 'Gestion du partenaire 2026 !'

/** axe at 1280 px and at 320 px (the harness's). */
export { auditBoth }

export async function heading(page, text) {
  await page.locator('main h1').filter({ hasText: text }).waitFor()
}

/** Signs `email` in on the partner space's sign-in page; waits for its home page. */
export async function signInPartner(page, email, password = PASSWORD) {
  const titled = (text) => page.locator('main').getByRole('heading', { level: 1, name: text, exact: true }).waitFor()
  await page.goto(`${BASE}/partenaire/connexion`)
  await titled("Connexion à l'espace partenaires")
  await page.getByLabel('Adresse électronique', { exact: true }).fill(email)
  await page.getByLabel('Mot de passe', { exact: true }).fill(password)
  await page.getByRole('button', { name: 'Se connecter' }).click()
  await titled('Espace partenaires')
}

/** Signs in on the back-office's sign-in page through the provider's form. */
export async function signInAgent(page, { sub, name, roles }) {
  await heading(page, 'Connexion agent')
  await page.getByRole('button', { name: 'Se connecter avec mon compte Assurance Maladie' }).click()
  await page.waitForURL(/\/dev\/idp\/authorize\?/)
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

/** An organisation conventioned with Rouen and its gestionnaire, activated: { org, token, admin }. */
export async function partnerOfRouen(name) {
  const admin = await agentToken({ sub: 'A1', name: 'Admin', caisse: ROUEN, roles: ['admin_partenaires'] })
  const today = new Date().toISOString().slice(0, 10)
  const end = `${Number(today.slice(0, 4)) + 1}${today.slice(4)}`
  const org = await api('POST', '/api/agent/partners', { name, kind: 'ccas', members: 12, caisses: [ROUEN], convention: { caisse: ROUEN, start: today, end } }, admin)
  const email = uniqueEmail('gestion')
  await api('POST', `/api/agent/partners/${org.partner_id}/managers`, { email, last_name: 'Martin', first_name: 'Sophie', function: 'Directrice' }, admin)
  return { org, email, token: await activated(email), admin }
}

/** Activates `email`'s account from its activation message, signs in, accepts the conditions of use: its token. */
export async function activated(email) {
  let m
  for (let i = 0; i < 40 && !m; i++) {
    m = (await outbox()).filter((x) => x.to === email && x.kind === 'partner_activation').at(-1)
    if (!m) await new Promise((r) => setTimeout(r, 250))
  }
  assert.ok(m, `no activation message for ${email}`)
  const link = new URL(m.body.match(/https?:\/\/\S+?\/partenaires?\/activation[#?]\S+/)[0])
  const activation = link.hash ? link.hash.slice(1) : link.searchParams.get('jeton')
  await api('POST', '/api/partner/activate', { token: activation, password: PASSWORD })
  const { token } = await api('POST', '/api/auth/partner', { email, password: PASSWORD })
  await api('POST', '/api/partner/cgu', { version: '2026-11' }, token)
  return token
}

/** A signalement of the partner about a person of that name; the request as recorded. */
export async function signalementOf(token, lastName, motive = 'suivi_demande_assure') {
  return api('POST', '/api/partner/reports', {
    civility: 'madame', last_name: lastName, first_name: 'Jeanne', birth_date: '1957-02-14', department: '76', motive,
    comment: "Pas de nouvelles depuis l'envoi du dossier.",
  }, token)
}
