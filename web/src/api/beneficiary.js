// The beneficiary space's calls, one function per endpoint. On a 401 the session has ended
// (expired, or refused): it is cleared and the person sent to sign in, then back to the same
// page, as in the other spaces. A refused answer to the step-up (`invalid_credentials`) is a
// 401 too, but the session stays. The renewal form and its receipt are also filled by a
// partner with its own session (`filer` 'partner'): those calls then follow the partner's gates.
import { call, sessionCall, seg } from './client.js'
import { signOut } from '../session.js'
import { partnerCall } from './partner.js'

const beneficiaryCall = sessionCall('beneficiary', (err, retour) => {
  if (err.status !== 401 || err.code === 'invalid_credentials') return null
  signOut('beneficiary')
  return { name: 'signIn', query: { retour, expiree: '1' } }
})
const by = (filer) => (filer === 'partner' ? partnerCall : beneficiaryCall)

// Without a session.
export const estimate = (body) => call('POST', '/api/eligibility/estimate', { body })
export const signInWithLetter = (body) => call('POST', '/api/auth/beneficiary', { body })

export const stepUp = (body) => beneficiaryCall('POST', '/api/auth/beneficiary/step-up', { body })
export const profile = () => beneficiaryCall('GET', '/api/me')
export const withdrawRenewal = (id) => beneficiaryCall('POST', `/api/renewals/${seg(id)}/withdraw`)

const renewal = (id) => `/api/renewals/${seg(id)}`
export const getRenewal = (id, filer) => by(filer)('GET', renewal(id))
export const startRenewal = (filer) => by(filer)('POST', '/api/renewals')
export const updateRenewal = (id, body, filer) => by(filer)('PUT', renewal(id), { body })
export const announceDocument = (id, body, filer) => by(filer)('POST', `${renewal(id)}/documents`, { body })
export const deleteDocument = (id, documentId, filer) => by(filer)('DELETE', `${renewal(id)}/documents/${seg(documentId)}`)
export const submitRenewal = (id, filer) => by(filer)('POST', `${renewal(id)}/submit`)
export const renewalMessages = (id, filer) => by(filer)('GET', `${renewal(id)}/messages`)
export const sendRenewalMessage = (id, body, filer) => by(filer)('POST', `${renewal(id)}/messages`, { body })
export const revokePartner = (id) => beneficiaryCall('POST', `${renewal(id)}/revoke-partner`)
