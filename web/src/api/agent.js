// The back-office's calls, one function per endpoint: the agent's token, and an expired or
// refused token sends back to the sign-in (then to the same page).
import { sessionCall, seg } from './client.js'
import { signOut } from '../session.js'

export { ApiError, sameOrigin, fetchFile } from './client.js'

const agentCall = sessionCall('agent', (err, retour) => {
  if (err.status !== 401) return null
  signOut('agent')
  return { name: 'agentSignIn', query: { retour, expiree: '1' } }
})

const file = (id) => `/api/agent/renewals/${seg(id)}`
export const getFile = (id) => agentCall('GET', file(id))
export const claim = (id, version) => agentCall('POST', `${file(id)}/claim`, { body: { version } })
export const decide = (id, body) => agentCall('POST', `${file(id)}/decision`, { body })
export const requestDocuments = (id, body) => agentCall('POST', `${file(id)}/request-documents`, { body })
export const addNote = (id, text) => agentCall('POST', `${file(id)}/notes`, { body: { text } })
export const documentAddress = (id, documentId) => agentCall('GET', `${file(id)}/documents/${seg(documentId)}/download`)
export const fileMessages = (id) => agentCall('GET', `${file(id)}/messages`)
export const sendFileMessage = (id, body) => agentCall('POST', `${file(id)}/messages`, { body })
export const auditTrail = (id) => agentCall('GET', `/api/agent/audit?renewal_id=${seg(id)}`)

/**
 * A page of a list with at least one item when there is one. The server reads its index a
 * page at a time before its filter applies, so a page can come back short, or empty with a
 * cursor: keep reading (a few times at most) rather than show an empty page.
 */
async function pageWithItems(path, params, cursor) {
  let items = []
  let next = cursor ?? null
  for (let i = 0; i < 10; i++) {
    const q = new URLSearchParams()
    for (const [k, v] of Object.entries(params)) if (v !== '' && v !== null && v !== undefined) q.set(k, String(v))
    if (next) q.set('cursor', next)
    const qs = q.toString()
    const page = await agentCall('GET', `${path}${qs ? `?${qs}` : ''}`)
    items = items.concat(page.items ?? [])
    next = page.next_cursor ?? null
    if (items.length > 0 || !next) break
  }
  return { items, next_cursor: next }
}

/** A page of the caisse's queue, of one status if asked (oldest deadline first). */
export const queuePage = (status, cursor) => pageWithItems('/api/agent/renewals', { status }, cursor)

/** The caisse's dashboard, from the counters the server keeps (superviseur). */
export const dashboardStats = () => agentCall('GET', '/api/agent/stats')

/** Gives the file to another agent (`agentId`), or releases the claim (null) (superviseur). */
export const reassign = (id, version, agentId, agentName) =>
  agentCall('POST', `${file(id)}/reassign`, { body: { version, agent_id: agentId, ...(agentName ? { agent_name: agentName } : {}) } })

/** One action on several files: `{ results: [{ id, status, code }] }`, each as it would answer alone. */
export const bulkAction = (action, ids, agentId) =>
  agentCall('POST', '/api/agent/renewals/bulk', { body: { action, ids, ...(action === 'reassign' ? { agent_id: agentId } : {}) } })

/** The caisse's queue as a file (CSV or XLSX), as a Blob (superviseur). */
export function exportQueue(status, format) {
  const q = new URLSearchParams({ format })
  if (status) q.set('status', status)
  return agentCall.download(`/api/agent/renewals/export?${q}`)
}

/** Finds files by one criterion; the NIR travels in the body, never in the address. */
export const searchFiles = (criteria) => agentCall('POST', '/api/agent/search', { body: criteria })

/**
 * A page of the caisse's signalements and partner requests in the server's order (urgent
 * ones first, then the oldest), those `filter` keeps: `{ status, motive, partner_id, urgent }`,
 * each optional.
 */
export const reportsPage = (filter, cursor) => pageWithItems('/api/agent/reports', filter ?? {}, cursor)

/** Every page of `reportsPage` (a partner's own, to find one of them). */
export async function allReports(filter) {
  let items = []
  let next = null
  for (let i = 0; i < 40; i++) {
    const page = await reportsPage(filter, next)
    items = items.concat(page.items)
    next = page.next_cursor
    if (!next) break
  }
  return items
}
export const answerReport = (rid, body) => agentCall('POST', `/api/agent/reports/${seg(rid)}/answer`, { body })
const report = (rid) => `/api/agent/reports/${seg(rid)}`
export const reportMessages = (rid) => agentCall('GET', `${report(rid)}/messages`)
export const sendReportMessage = (rid, body) => agentCall('POST', `${report(rid)}/messages`, { body })
/** The request's attachments (audited), and a fresh download address of one (audited too). */
export const reportAttachments = (rid) => agentCall('GET', `${report(rid)}/attachments`)
export const reportAttachmentAddress = (rid, doc) => agentCall('GET', `${report(rid)}/attachments/${seg(doc)}/download`)

// Partner administration (admin partenaires of the caisse).
const partnerPath = (pid) => `/api/agent/partners/${seg(pid)}`
export const createPartner = (body) => agentCall('POST', '/api/agent/partners', { body })
/** A page of the organisations the caisse signed a convention with, by name: `{ items, next_cursor }`. */
export const listPartners = (cursor) => agentCall('GET', `/api/agent/partners${cursor ? `?cursor=${seg(cursor)}` : ''}`)
export const getPartner = (pid) => agentCall('GET', partnerPath(pid))
export const addManager = (pid, body) => agentCall('POST', `${partnerPath(pid)}/managers`, { body })
export const deactivateAccount = (pid, aid) => agentCall('POST', `${partnerPath(pid)}/accounts/${seg(aid)}/deactivate`, { body: {} })
export const unlockAccount = (pid, aid) => agentCall('POST', `${partnerPath(pid)}/accounts/${seg(aid)}/unlock`, { body: {} })
/** A new activation link for a gestionnaire who never activated their account; the previous one void. */
/** The organisation's number of members (the limit of gestionnaires follows). */
export const setMembers = (pid, members) => agentCall('PUT', partnerPath(pid), { body: { members } })
/** A gestionnaire's details (`email`, `civility`…); a new address gets a new activation link. */
export const modifyAccount = (pid, aid, body) => agentCall('PUT', `${partnerPath(pid)}/accounts/${seg(aid)}`, { body })
export const reissueActivation = (pid, aid) => agentCall('POST', `${partnerPath(pid)}/accounts/${seg(aid)}/reissue`, { body: {} })
export const deactivatePartner = (pid) => agentCall('POST', `${partnerPath(pid)}/deactivate`, { body: {} })
export const addConvention = (pid, body) => agentCall('POST', `${partnerPath(pid)}/conventions`, { body })
export const terminateConvention = (pid, caisse, date) => agentCall('POST', `${partnerPath(pid)}/conventions/${seg(caisse)}/terminate`, { body: { date } })
export const habilitationsCsv = (pid) => agentCall.download(`${partnerPath(pid)}/habilitations.csv`)

// Data-subject rights (DPO of the caisse): the person is named by their NIR in the request's
// body, never in an address; each call makes or updates an entry of the register.
const rgpd = (right, body) => agentCall('POST', `/api/agent/rgpd/${right}`, { body })
export const rgpdRequests = () => agentCall('GET', '/api/agent/rgpd/requests')
export const restrictedFiles = () => agentCall('GET', '/api/agent/rgpd/restricted')
/** `format` `json`: the export itself; `zip`: `{ download_url, expires_at }` of an archive. */
export const rgpdAccess = (nir, format) => rgpd('access', { nir, format })
export const rgpdRectify = (nir, changes, reason) => rgpd('rectify', { nir, changes, reason })
export const rgpdRestrict = (nir, reason) => rgpd('restrict', { nir, reason })
export const rgpdLift = (nir) => rgpd('restrict/lift', { nir })
export const rgpdOppose = (nir) => rgpd('oppose', { nir, scope: 'reminders' })
export const rgpdErase = (nir, reason) => rgpd('erase', { nir, reason })

// Data breaches: any agent declares one (the DPO is alerted); the DPO reads the register.
export const declareIncident = (description, detectedAt) =>
  agentCall('POST', '/api/agent/incidents', { body: { description, detected_at: detectedAt } })
export const incidentRegister = () => agentCall('GET', '/api/agent/incidents')
