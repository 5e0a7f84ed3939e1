// The partner space's words for the API's codes (the shared ones are in ./common.js).
import { titleIn } from './common.js'

/** A renewal's status in the partner's words (beside the others' in ./common.js). */
export const STATUSES = [
  { value: 'draft', title: 'Brouillon, à compléter' },
  { value: 'submitted', title: 'Envoyée à la caisse' },
  { value: 'in_review', title: "En cours d'instruction" },
  { value: 'awaiting_documents', title: 'Justificatifs demandés' },
  { value: 'approved', title: 'Décision rendue : accordée' },
  { value: 'rejected', title: 'Décision rendue : refusée' },
  { value: 'exported', title: 'Décision transmise' },
  { value: 'integrated', title: 'Décision enregistrée' },
  { value: 'withdrawn', title: 'Retirée' },
]
export const statusLabel = (code) => titleIn(STATUSES, code)

export const REQUEST_STATUS = {
  open: 'En attente de réponse',
  answered: 'Réponse de la caisse',
  closed: 'Clôturée',
}

export const REQUEST_KIND = {
  renewal: 'Renouvellement',
  signalement: 'Signalement',
  appointment: 'Demande de rendez-vous',
  document: 'Demande de document',
  dossier: 'Dépôt de dossier',
  contact: 'Prise de contact',
}

// The signalement motives of annex 3 (`GET /api/partner/catalogue` serves them all).
export const MOTIVES = [
  { value: 'dossier_complexe', title: 'Dossiers complexes (rétroactivité, rupture de droits, IJ complexes)' },
  { value: 'saisine_mission_accompagnement', title: 'Saisine de la Mission accompagnement santé' },
  { value: 'situation_urgence', title: 'Situation d’urgence' },
  { value: 'suivi_demande_assure', title: 'Suivi du traitement d’une demande faite par l’assuré' },
  { value: 'renoncement_soins', title: 'Renoncement aux soins' },
]

export const ACCOUNT_STATUS = {
  pending: 'En attente d’activation',
  active: 'Actif',
  locked: 'Verrouillé',
  deactivated: 'Désactivé',
}

export const ACCOUNT_ROLE = { gestionnaire: 'Gestionnaire', technicien: 'Technicien' }


/** The person a request is about ("Mme Marie Durand"), or '' for a contact, which names none. */
export function personOf(r) {
  if (!r?.last_name) return ''
  return `${r.civility === 'madame' ? 'Mme' : 'M.'} ${r.first_name} ${r.last_name}`
}
