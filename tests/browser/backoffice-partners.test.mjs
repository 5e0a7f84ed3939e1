// Partner administration in a real browser, for an admin partenaires of the caisse: from the
// menu with the keyboard, a new organisation (its form's errors first), found again in the
// caisse's list and opened from it, then on its page a gestionnaire added within the size
// rule, a new activation link sent to them, the last one refused deactivation, a second one
// deactivated once the first is active, the first unlocked after five wrong passwords, the
// habilitation table, the convention terminated at a date and a new one added, and the
// organisation deactivated. Every page passes axe at 1280 and 320 px.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BASE, api, launch, newPage, outbox, tabTo, errorsFocused, uniqueEmail } from './harness.mjs'
import { activated, auditBoth, heading, signInAgent } from './backoffice.mjs'

async function addManager(page, email, last) {
  await page.getByLabel('Adresse électronique', { exact: true }).fill(email)
  await page.getByLabel('Nom', { exact: true }).fill(last)
  await page.getByLabel('Prénom', { exact: true }).fill('Alix')
  await page.getByLabel('Fonction').fill('Directrice')
  await page.getByRole('button', { name: 'Ajouter le gestionnaire' }).click()
  await page.getByRole('status').filter({ hasText: `Gestionnaire ajouté : le lien d'activation lui est envoyé à ${email}` }).waitFor()
}

test('back-office: partner administration, from a new organisation to its deactivation', async (t) => {
  const browser = await launch()
  t.after(() => browser.close())
  const page = await newPage(browser, { width: 1280 })
  await page.goto(`${BASE}/agent/partenaires`)
  await signInAgent(page, { sub: `P${Date.now() % 100000}`, name: 'Dominique Admin', roles: ['admin_partenaires'] })
  await heading(page, 'Administration des partenaires')
  await auditBoth(page, 'backoffice-partners')

  // The menu leads here by keyboard too.
  await tabTo(page, 'Partenaires')
  await page.keyboard.press('Enter')
  await heading(page, 'Administration des partenaires')

  // The form's errors: named, and the summary takes the focus.
  await page.getByRole('button', { name: "Créer l'organisme" }).click()
  await errorsFocused(page)
  const summary = page.getByRole('alert').filter({ hasText: 'Le formulaire contient' })
  await summary.waitFor()
  assert.match(await summary.innerText(), /Indiquez le nom de l'organisme/)
  await auditBoth(page, 'backoffice-partners-errors')

  const name = `CCAS Admin ${Date.now()}`
  await tabTo(page, "Nom de l'organisme")
  await page.keyboard.type(name)
  await page.getByLabel('Nombre de membres').fill('8')
  await tabTo(page, "Créer l'organisme")
  await page.keyboard.press('Enter')
  await heading(page, name)
  await auditBoth(page, 'backoffice-partner')
  assert.match(await page.locator('.facts').innerText(), /gestionnaires : 0 sur 2 au plus/)

  // The caisse's list holds it (by name, a page at a time): opened from there by keyboard.
  await page.getByRole('link', { name: "Retour à l'administration des partenaires" }).click()
  await heading(page, 'Administration des partenaires')
  const listed = page.locator('#orgs a').filter({ hasText: name })
  await page.locator('#orgs').waitFor()
  for (let i = 0; i < 40 && !(await listed.count()); i++) {
    await page.getByRole('button', { name: 'Voir les organismes suivants' }).click()
    await page.waitForLoadState('networkidle')
  }
  assert.match(await page.locator('#orgs > li').filter({ hasText: name }).innerText(), /Convention de votre caisse\s+En vigueur/)
  await auditBoth(page, 'backoffice-partners-list')
  await listed.focus()
  await page.keyboard.press('Enter')
  await heading(page, name)

  // Gestionnaires within the size rule (8 members: 2).
  const first = uniqueEmail('gest1')
  await addManager(page, first, 'Premier')
  await page.locator('.account').filter({ hasText: first }).waitFor()
  await page.locator('#habilitations-caption').waitFor()
  assert.match(await page.locator('table.data').innerText(), new RegExp(first.replace(/[.]/g, '\\.')))
  await auditBoth(page, 'backoffice-partner-manager')
  // Not activated yet: a new link, the previous one void.
  const links = async () => (await outbox()).filter((m) => m.to === first && m.kind === 'partner_activation').length
  const before = await links()
  await tabTo(page, "Renvoyer le lien d'activation à Alix Premier")
  await page.keyboard.press('Enter')
  await page.getByRole('status').filter({ hasText: `Nouveau lien d'activation envoyé à ${first}` }).waitFor()
  for (let i = 0; i < 40 && (await links()) === before; i++) await new Promise((r) => setTimeout(r, 250))
  assert.equal(await links(), before + 1, 'a new activation link in the outbox')
  await auditBoth(page, 'backoffice-partner-reissued')
  // The last gestionnaire cannot be deactivated.
  await page.getByRole('button', { name: 'Désactiver le compte de Alix Premier' }).click()
  await page.getByRole('alert').filter({ hasText: /gestionnaire/ }).waitFor()
  await auditBoth(page, 'backoffice-partner-last-manager')
  // Once the first one has activated their account, another may go.
  await activated(first)
  const second = uniqueEmail('gest2')
  await addManager(page, second, 'Second')
  await page.getByText("L'organisme a atteint le nombre de gestionnaires").waitFor()
  await page.getByRole('button', { name: 'Désactiver le compte de Alix Second' }).click()
  await page.getByRole('status').filter({ hasText: 'Compte de Alix Second désactivé' }).waitFor()

  // Five wrong passwords lock the first one's account; the caisse unlocks it.
  for (let i = 0; i < 5; i++) await api('POST', '/api/auth/partner', { email: first, password: 'Pas le bon mot de passe 1 !' }).catch(() => {})
  await page.reload()
  await heading(page, name)
  const unlock = page.getByRole('button', { name: 'Déverrouiller le compte de Alix Premier' })
  await unlock.waitFor()
  await auditBoth(page, 'backoffice-partner-locked')
  await unlock.click()
  await page.getByRole('status').filter({ hasText: 'Compte de Alix Premier déverrouillé' }).waitFor()

  // The convention terminated today, then a new one.
  await tabTo(page, 'Résilier la convention')
  await page.keyboard.press('Enter')
  await page.getByRole('status').filter({ hasText: 'Convention résiliée' }).waitFor()
  await page.getByRole('button', { name: 'Ajouter une convention' }).click()
  await page.getByRole('status').filter({ hasText: 'Convention ajoutée' }).waitFor()
  assert.equal(await page.locator('#conventions > li').count(), 2)
  await auditBoth(page, 'backoffice-partner-conventions')

  // The organisation deactivated: its accounts with it.
  await page.getByRole('button', { name: "Désactiver l'organisme" }).click()
  await page.getByRole('status').filter({ hasText: "L'organisme et tous ses comptes sont désactivés" }).waitFor()
  assert.match(await page.locator('.facts').innerText(), /Désactivé/)
  await auditBoth(page, 'backoffice-partner-deactivated')
})
