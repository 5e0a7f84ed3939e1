// What the API's codes mean, in French, for the agents' screens (in the caisse's own words
// where they differ from what beneficiaries read; the statuses side by side in
// ./common.js). Codes the list does not know are shown as they come rather than hidden.
// Documents, resources and housing share the words of ./common.js.
import { DOCUMENT_KIND, RESOURCE_KIND, RELATION, HOUSING, CAISSES, caisseLabel, fileSize, options, titleIn } from './common.js'

export { HOUSING, CAISSES, caisseLabel, fileSize }

export const ROLES = [
  { value: 'instructeur', title: 'Instructeur', hint: 'prend en charge, instruit et décide' },
  { value: 'superviseur', title: 'Superviseur', hint: "tableau de bord, journal d'audit" },
  { value: 'admin_partenaires', title: 'Administrateur partenaires', hint: 'organismes partenaires et conventions' },
  { value: 'dpo', title: 'Délégué à la protection des données', hint: "droits d'accès des personnes" },
]

/** In the order a file goes through them, then the draft (which the caisse never sees). */
export const STATUSES = [
  { value: 'submitted', title: 'Déposée', color: 'info' },
  { value: 'in_review', title: "En cours d'instruction", color: 'primary' },
  { value: 'awaiting_documents', title: 'En attente de pièces', color: 'warning' },
  { value: 'approved', title: 'Accordée', color: 'success' },
  { value: 'rejected', title: 'Refusée', color: 'error' },
  { value: 'exported', title: 'Transmise au système national', color: 'secondary' },
  { value: 'integrated', title: 'Intégrée', color: 'success' },
  { value: 'withdrawn', title: 'Retirée par le demandeur', color: 'grey' },
  { value: 'draft', title: 'Brouillon', color: 'grey' },
]

/** The statuses still waiting for the caisse (the queue's default view). */
export const OPEN_STATUSES = ['submitted', 'in_review', 'awaiting_documents']
export const DECIDED_STATUSES = ['approved', 'rejected', 'exported', 'integrated']

export function statusLabel(code) {
  return titleIn(STATUSES, code) ?? code ?? '—'
}
export function statusColor(code) {
  return STATUSES.find((s) => s.value === code)?.color ?? 'grey'
}

export const DEADLINE_STATES = {
  late: { title: 'Délai dépassé', color: 'error' },
  near: { title: 'Échéance proche', color: 'warning' },
  ok: { title: 'Dans les délais', color: 'success' },
}

export const OUTCOMES = [
  { value: 'free', title: 'C2S sans participation financière' },
  { value: 'participation', title: 'C2S avec participation financière' },
  { value: 'rejected', title: 'Refus' },
]
export function outcomeLabel(code) {
  return (
    { ...Object.fromEntries(OUTCOMES.map((o) => [o.value, o.title])), over_ceiling: 'Ressources au-dessus du plafond', parameters_unknown: 'Barème inconnu pour cette période' }[code] ??
    code ??
    '—'
  )
}

/** The handler's REASON_CODES, in its order. */
export const REASONS = [
  { value: 'eligible', title: 'Conditions remplies' },
  { value: 'eligible_by_silence', title: "Accord implicite (silence de la caisse au-delà du délai)" },
  { value: 'over_ceiling', title: 'Ressources supérieures au plafond' },
  { value: 'incomplete_file', title: 'Dossier incomplet' },
  { value: 'documents_not_provided', title: 'Pièces demandées non fournies' },
  { value: 'not_resident', title: 'Résidence en France non établie' },
  { value: 'irregular_stay', title: 'Séjour irrégulier' },
  { value: 'already_covered', title: 'Déjà couvert par une complémentaire' },
  { value: 'duplicate_request', title: 'Demande en double' },
  { value: 'other', title: 'Autre motif' },
]
export function reasonLabel(code) {
  return REASONS.find((r) => r.value === code)?.title ?? code ?? '—'
}

export const DOCUMENT_KINDS = options(DOCUMENT_KIND)
export function kindLabel(code) {
  return DOCUMENT_KINDS.find((k) => k.value === code)?.title ?? code ?? '—'
}

export const DOCUMENT_STATUSES = {
  awaiting_upload: { title: 'Envoi non reçu', color: 'grey' },
  pending_scan: { title: 'Contrôle antivirus en attente', color: 'warning' },
  clean: { title: 'Contrôlée, consultable', color: 'success' },
  rejected: { title: 'Refusée au contrôle', color: 'error' },
}

export const RELATIONS = RELATION

export const RESOURCE_KINDS = RESOURCE_KIND


export const ACTORS = { beneficiary: 'le demandeur', partner: 'un organisme partenaire', agent: 'un agent', system: 'le système' }

export const ACTIONS = {
  read_file: 'Consultation du dossier',
  claim: 'Prise en charge',
  request_documents: 'Demande de pièces',
  decision: 'Décision',
  note: 'Ajout d’une note',
  download_document: 'Ouverture d’une pièce',
  read_request_attachments: 'Consultation des pièces d’une demande partenaire',
  rgpd_access: "Droit d'accès (RGPD)",
  reassign: 'Réattribution',
  search: 'Recherche',
  export: 'Export de la file',
  revoke_partner: 'Retrait de l’accès du partenaire',
}
export function actionLabel(code) {
  return ACTIONS[code] ?? code
}

/** Who has taken a file: the agent's name and number, or that no one has yet. */
export function assigneeLabel(assigned) {
  return assigned ? `${assigned.name} (agent ${assigned.agent_id})` : 'Non attribuée pour l’instant'
}
