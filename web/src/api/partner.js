// The partner space's calls, one function per endpoint, with the partner's session and the
// API's gates: an expired session goes back to sign-in, unaccepted conditions and an expired
// password to their pages, then back to the page the partner was on.
import { call, download, sessionCall, seg } from './client.js'
import { signOut, updateSession } from '../session.js'

const ENDED = ['unauthenticated', 'account_inactive', 'invalid_token', 'token_expired']

function gate(err, retour) {
  if (err.status === 401 && ENDED.includes(err.code)) {
    signOut('partner')
    return { name: 'partnerSignIn', query: { retour, motif: err.code === 'account_inactive' ? 'inactif' : 'expire' } }
  }
  if (err.status === 403 && err.code === 'cgu_not_accepted') {
    updateSession('partner', { cgu_accepted: false })
    return { name: 'partnerConditions', query: { retour } }
  }
  if (err.status === 403 && err.code === 'password_expired') {
    updateSession('partner', { password_expired: true })
    return { name: 'partnerPassword', query: { retour } }
  }
  return null
}

/** A call with the partner's token (also used for a beneficiary's renewal the partner fills). */
export const partnerCall = sessionCall('partner', gate)

// Before a session.
export const signInWithPassword = (email, password) => call('POST', '/api/auth/partner', { body: { email, password } })
export const activate = (activationToken, password) => call('POST', '/api/partner/activate', { body: { token: activationToken, password } })
/** "Mot de passe oublié": 202 whether or not the address has an account. */
export const requestReset = (email) => call('POST', '/api/auth/partner/reset', { body: { email } })
export const confirmReset = (linkToken, new_password) => call('POST', '/api/auth/partner/reset/confirm', { body: { token: linkToken, new_password } })

// The partner's own account.
export const acceptConditions = (version) => partnerCall('POST', '/api/partner/cgu', { body: { version, accepted: true } })
export const changePassword = (current_password, new_password) =>
  partnerCall('POST', '/api/partner/password', { body: { current_password, new_password } })

// Acting for people.
export const openRenewal = (body) => partnerCall('POST', '/api/partner/renewals', { body })
export const sendReport = (body) => partnerCall('POST', '/api/partner/reports', { body })
export const sendRequest = (body) => partnerCall('POST', '/api/partner/requests', { body })
/** Annex 3 of the convention: the motives of each kind of request, `{kind: [{code, label}]}`. */
export const getCatalogue = () => partnerCall('GET', '/api/partner/catalogue')
/** A data breach, told to the caisses the organisation works with (their DPO alerted). */
export const declareIncident = (description, detectedAt) =>
  partnerCall('POST', '/api/partner/incidents', { body: { description, detected_at: detectedAt } })
const request = (rid) => `/api/partner/requests/${seg(rid)}`
export const requestMessages = (rid) => partnerCall('GET', `${request(rid)}/messages`)
export const sendRequestMessage = (rid, body) => partnerCall('POST', `${request(rid)}/messages`, { body })
/** A request's attachments; a fresh download address of one; a new one announced (its presigned upload). */
export const requestAttachments = (rid) => partnerCall('GET', `${request(rid)}/attachments`)
export const requestAttachmentAddress = (rid, doc) => partnerCall('GET', `${request(rid)}/attachments/${seg(doc)}/download`)
export const announceAttachment = (rid, body) => partnerCall('POST', `${request(rid)}/attachments`, { body })
/** Every request of the organisation, page after page (50 a page; the page sorts them by date). */
export async function listRequests() {
  let items = []
  let cursor = null
  for (let guard = 0; guard < 200; guard++) {
    const page = await partnerCall('GET', `/api/partner/requests${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`)
    items = items.concat(page?.items ?? [])
    cursor = page?.next_cursor ?? null
    if (!cursor) break
  }
  return { items }
}

// A gestionnaire's accounts.
export const listAccounts = () => partnerCall('GET', '/api/partner/accounts')
export const createTechnician = (body) => partnerCall('POST', '/api/partner/technicians', { body })
export const deactivateAccount = (id) => partnerCall('POST', `/api/partner/accounts/${seg(id)}/deactivate`)
export const unlockAccount = (id) => partnerCall('POST', `/api/partner/accounts/${seg(id)}/unlock`)
/** A new activation link for a technicien who never activated (the previous one void). */
export const reissueActivation = (id) => partnerCall('POST', `/api/partner/accounts/${seg(id)}/reissue`)
/** Asks the caisse to deactivate another gestionnaire on `on` (AAAA-MM-JJ, 15 days ahead at least). */
export const askDeactivation = (id, on) => partnerCall('POST', `/api/partner/accounts/${seg(id)}/deactivation-request`, { body: { on } })
/** Asks the caisse for a new gestionnaire: the request, with its `due_on`. */
export const askHabilitation = (body) => partnerCall('POST', '/api/partner/habilitation-requests', { body })
/** The organisation's requests for a new gestionnaire, each with its `due_on`. */
export const listHabilitations = () => partnerCall('GET', '/api/partner/habilitation-requests')

/** The habilitation table: it needs the bearer token, so it comes as a Blob to hand over. */
export const habilitationsCsv = () => partnerCall.download('/api/partner/habilitations.csv')
