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
}

export const MOTIVES = [
  { value: 'renewal_help', title: 'Besoin d’aide pour le renouvellement' },
  { value: 'documents_missing', title: 'Justificatifs manquants ou difficiles à obtenir' },
  { value: 'no_answer', title: 'Pas de réponse de la caisse' },
  { value: 'rights_interrupted', title: 'Droits interrompus' },
  { value: 'payment_issue', title: 'Difficulté de paiement de la participation' },
  { value: 'contact_change', title: 'Changement d’adresse ou de coordonnées' },
  { value: 'language_barrier', title: 'Difficulté de langue ou de compréhension' },
  { value: 'other', title: 'Autre motif' },
]

export const ACCOUNT_STATUS = {
  pending: 'En attente d’activation',
  active: 'Actif',
  locked: 'Verrouillé',
  deactivated: 'Désactivé',
}

export const ACCOUNT_ROLE = { gestionnaire: 'Gestionnaire', technicien: 'Technicien' }

