// Partner administration in a real browser, for an admin partenaires of the caisse: from the
// menu with the keyboard, a new organisation (its form's errors first), found again in the
// caisse's list and opened from it, then on its page a gestionnaire added within the size
// rule, a new activation link sent to them, the last one refused deactivation, a second one
// added, the number of members changed (the limit follows), the second one's address and
// civility changed (a new activation link to the new address), what the organisation asked
// (the second one's deactivation at a date, a new gestionnaire by a due date, then taken up
// in the add form), the second one deactivated once the first is active, the first unlocked
// after five wrong passwords, the habilitation table, the convention terminated at a date and a new one added, and the
// organisation deactivated. Every page passes axe at 1280 and 320 px; the new forms are
// used with the keyboard and their results read back through the API.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BASE, api, agentToken, launch, newPage, outbox, tabTo, errorsFocused, uniqueEmail, inDays, longDate, retype } from './harness.mjs'
import { activated, auditBoth, heading, signInAgent, ROUEN } from './backoffice.mjs'

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
  const firstToken = await activated(first)
  const second = uniqueEmail('gest2')
  await addManager(page, second, 'Second')
  await page.getByText("L'organisme a atteint le nombre de gestionnaires").waitFor()
  const admin = await agentToken({ sub: 'A1', name: 'Admin', caisse: ROUEN, roles: ['admin_partenaires'] })
  const pid = new URL(page.url()).pathname.split('/').at(-1)
  const readOrg = () => api('GET', `/api/agent/partners/${pid}`, undefined, admin)

  // The number of members, with the keyboard: 0 is refused next to the field, 40 allows 5.
  await retype(page, 'Nombre de membres', '0')
  await tabTo(page, 'Enregistrer le nombre de membres')
  await page.keyboard.press('Enter')
  await errorsFocused(page)
  await page.locator('#org-members').locator('xpath=ancestor::div[contains(@class,"v-input")]').getByText('Indiquez le nombre de membres').waitFor()
  await auditBoth(page, 'backoffice-partner-members-error')
  await retype(page, 'Nombre de membres', '40')
  await page.keyboard.press('Enter')
  await page.getByRole('status').filter({ hasText: "Nombre de membres enregistré : 40. L'organisme peut avoir 5 gestionnaires au plus." }).waitFor()
  assert.match(await page.locator('.facts').innerText(), /40 \(gestionnaires : 2 sur 5 au plus\)/)
  let saved = await readOrg()
  assert.deepEqual([saved.members, saved.manager_limit], [40, 5])
  await page.getByRole('button', { name: 'Ajouter le gestionnaire' }).waitFor()
  await auditBoth(page, 'backoffice-partner-members')

  // The second one's civility and address, with the keyboard: an address already taken is
  // refused next to its field; a new one gets a new activation link, the account waits for it.
  await tabTo(page, "Modifier l'adresse ou la civilité de Alix Second")
  await page.keyboard.press('Enter')
  await page.locator('#edit-title').waitFor()
  await auditBoth(page, 'backoffice-partner-manager-edit')
  await tabTo(page, 'Madame')
  await page.keyboard.press('Space')
  await retype(page, 'Nouvelle adresse électronique', first)
  await page.keyboard.press('Enter')
  await errorsFocused(page)
  await page.locator('#edit-email').locator('xpath=ancestor::div[contains(@class,"v-input")]').getByText(/déjà/).waitFor()
  await auditBoth(page, 'backoffice-partner-manager-edit-error')
  const moved = uniqueEmail('gest2bis')
  await retype(page, 'Nouvelle adresse électronique', moved)
  await tabTo(page, 'Enregistrer les modifications')
  await page.keyboard.press('Enter')
  await page.getByRole('status').filter({ hasText: `un lien d'activation est envoyé à ${moved}` }).waitFor()
  saved = (await readOrg()).accounts.find((a) => a.email === moved)
  assert.deepEqual([saved?.civility, saved?.status], ['madame', 'pending'], 'the new address and civility recorded')
  let sent = []
  for (let i = 0; i < 40 && !sent.length; i++) {
    sent = (await outbox()).filter((m) => m.to === moved && m.kind === 'partner_activation')
    if (!sent.length) await new Promise((r) => setTimeout(r, 250))
  }
  assert.equal(sent.length, 1, 'an activation link to the new address')
  await page.locator('.account').filter({ hasText: moved }).getByText('Mme Alix Second').waitFor()
  await auditBoth(page, 'backoffice-partner-manager-changed')

  // What the organisation asked: the second one's deactivation in 20 days, a new gestionnaire.
  const on = inDays(20)
  await api('POST', `/api/partner/accounts/${saved.account_id}/deactivation-request`, { on }, firstToken)
  const wanted = uniqueEmail('gest3')
  const hab = await api('POST', '/api/partner/habilitation-requests', { civility: 'monsieur', last_name: 'Troisième', first_name: 'Noé', function: 'Adjoint', email: wanted }, firstToken)
  await page.reload()
  await heading(page, name)
  await page.locator('#asked-deactivations').getByText(`Mme Alix Second (${moved}) : à désactiver le ${longDate(on)}, demande faite par Alix Premier`).waitFor()
  await page.locator('.account').filter({ hasText: moved }).getByText(`Désactivation demandée par l'organisme pour le ${longDate(on)}`).waitFor()
  const line = page.locator('#asked-managers > li').filter({ hasText: wanted })
  assert.match(await line.innerText(), new RegExp(`M\\. Noé Troisième, Adjoint .* demandé le .* par Alix Premier, à traiter au plus tard le ${longDate(hab.due_on)}`))
  await auditBoth(page, 'backoffice-partner-requests')
  // The new gestionnaire asked for, taken up in the add form with the keyboard, then added.
  await tabTo(page, 'Reprendre la demande de Noé Troisième')
  await page.keyboard.press('Enter')
  assert.equal(await page.locator('#mgr-email').inputValue(), wanted)
  await tabTo(page, 'Ajouter le gestionnaire')
  await page.keyboard.press('Enter')
  await page.getByRole('status').filter({ hasText: `Gestionnaire ajouté : le lien d'activation lui est envoyé à ${wanted}` }).waitFor()
  await line.getByText('compte créé').waitFor()
  const third = (await readOrg()).accounts.find((a) => a.email === wanted)
  assert.deepEqual([third?.civility, third?.function, third?.status], ['monsieur', 'Adjoint', 'pending'])
  await auditBoth(page, 'backoffice-partner-request-taken-up')
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
