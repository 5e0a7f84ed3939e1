// The French words for the API's codes. This file: the words every space shares, and the
// beneficiary's; labels/partner.js and labels/agent.js: each audience's own.
//
// A renewal's status has one vocabulary per audience, each a list of { value, title } in the
// order a file goes through them (the agent's adds a colour). They differ on purpose: the
// beneficiary reads what the status means for their rights, the partner where the file
// stands on its way through the caisse, the agent the step of the instruction.
//
//   code                beneficiary (here)                   partner                      agent
//   draft               Brouillon                            Brouillon, à compléter       Brouillon
//   submitted           Envoyée                              Envoyée à la caisse          Déposée
//   in_review           En cours d'instruction               En cours d'instruction       En cours d'instruction
//   awaiting_documents  Pièces demandées                     Justificatifs demandés       En attente de pièces
//   approved            Accordée                             Décision rendue : accordée   Accordée
//   rejected            Refusée                              Décision rendue : refusée    Refusée
//   exported            Accordée, en cours de mise en place  Décision transmise           Transmise au système national
//   integrated          Droits ouverts                       Décision enregistrée         Intégrée
//   withdrawn           Retirée                              Retirée                      Retirée par le demandeur
//
// A code a list does not know is shown as it comes rather than hidden.

import { percentChange } from '../format.js'

export const STATUSES = [
  { value: 'draft', title: 'Brouillon' },
  { value: 'submitted', title: 'Envoyée' },
  { value: 'in_review', title: "En cours d'instruction" },
  { value: 'awaiting_documents', title: 'Pièces demandées' },
  { value: 'approved', title: 'Accordée' },
  { value: 'rejected', title: 'Refusée' },
  { value: 'exported', title: 'Accordée, en cours de mise en place' },
  { value: 'integrated', title: 'Droits ouverts' },
  { value: 'withdrawn', title: 'Retirée' },
]

/** The title of `code` in a { value, title } list, or undefined. */
export function titleIn(list, code) {
  return list.find((x) => x.value === code)?.title
}

/** A status in the beneficiary's words. */
export function statusLabel(code) {
  return titleIn(STATUSES, code) ?? code
}

export const RELATION = { applicant: 'Demandeur', spouse: 'Conjoint(e)', child: 'Enfant à charge', other: 'Autre personne du foyer' }

export const RESOURCE_KIND = {
  salary: 'Salaire',
  self_employed: 'Revenus d’indépendant',
  unemployment: 'Allocations chômage',
  pension: 'Retraite',
  disability: 'Pension d’invalidité',
  daily_allowances: 'Indemnités journalières',
  family_benefits: 'Prestations familiales',
  rsa: 'RSA',
  aah: 'AAH',
  alimony: 'Pension alimentaire',
  scholarship: "Bourse d'études",
  rental_income: 'Revenus locatifs',
  capital_income: 'Revenus de placements',
  legal_person_aid: 'Aide d’une association ou d’un autre organisme',
  family_help: 'Aide de la famille ou de proches',
  unproductive_assets: 'Revenu fictif de biens non productifs',
  benefits_in_kind: 'Libéralités et avantages en nature non professionnels',
  other: 'Autre ressource',
}

/** The kinds the rules no longer count (decree of 28 June 2025), said beside the form. */
export const NOT_COUNTED_KINDS = ['legal_person_aid', 'family_help', 'unproductive_assets', 'benefits_in_kind']
export const NOT_COUNTED_HINT = 'À déclarer : depuis le 30 juin 2025, cette ressource n’est plus comptée pour la C2S (décret du 28 juin 2025, JO du 29 juin ; code de la sécurité sociale, art. R861-6 et R861-10).'

/** What an engine answer made on revalued ceilings says, wherever it is shown. */
export function provisionalNotice(revaluation) {
  const how = revaluation ? ` revalorisés de ${percentChange(revaluation.coefficient)} (${revaluation.source})` : ' revalorisés'
  return `Barème provisoire : les plafonds de cette période ne sont pas encore publiés ; ce sont ceux du dernier barème publié,${how}. Le résultat peut changer à la publication du barème.`
}

export const DOCUMENT_KIND = {
  income_proof: 'Justificatif de ressources',
  payslip: 'Bulletin de salaire',
  tax_notice: "Avis d'imposition",
  pension_statement: 'Relevé de retraite ou de pension',
  unemployment_statement: 'Attestation France Travail',
  benefit_statement: 'Attestation de la CAF ou de la MSA',
  identity: "Pièce d'identité",
  proof_of_address: 'Justificatif de domicile',
  rent_receipt: 'Quittance de loyer',
  family_record: 'Livret de famille',
  bank_details: "Relevé d'identité bancaire",
  other: 'Autre justificatif',
}

export const DOCUMENT_STATUS = {
  awaiting_upload: 'Envoi en cours',
  pending_scan: 'En cours de vérification',
  clean: 'Reçu et vérifié',
  rejected: 'Refusé',
}

/** Under a `pending_scan` document: its check waits for the antivirus, and a submission for it. */
export const SCAN_DELAYED =
  "La vérification de ce document prend plus de temps que prévu. Vous n'avez rien à faire : si un nouvel envoi est nécessaire, cette page vous le dira. Vous pourrez envoyer votre demande dès que la vérification sera terminée."

export const HOUSING = {
  tenant: 'Locataire',
  owner: 'Propriétaire',
  housed_free: 'Hébergé(e) gratuitement',
  homeless: 'Sans domicile stable',
}

export const OUTCOME = {
  free: 'C2S sans participation financière',
  participation: 'C2S avec participation financière',
  over_ceiling: 'Ressources au-dessus des plafonds',
  rejected: 'Refusée',
  parameters_unknown: 'Barèmes inconnus pour cette période',
}

export const ACTOR = { beneficiary: 'vous', partner: 'un organisme partenaire', agent: 'votre caisse', system: 'automatique' }

export const MISSING = {
  household: 'Confirmer la composition du foyer',
  resources: 'Déclarer les ressources',
  housing: 'Indiquer la situation de logement',
  manager: "Choisir l'organisme gestionnaire",
  documents: 'Joindre au moins un justificatif de ressources',
  documents_pending: 'Attendre la fin de la vérification des justificatifs (elle reprend d\'elle-même, vous n\'avez rien à faire)',
}

/** A `missing` code in French ("document:payslip" names the kind an agent asked for). */
export function missingLabel(code) {
  if (code.startsWith('document:')) return `Joindre : ${DOCUMENT_KIND[code.slice(9)] ?? code.slice(9)}`
  return MISSING[code] ?? code
}

/** [{ value, title }] for a v-select / v-radio-group, from one of the tables above. */
export function options(table) {
  return Object.entries(table).map(([value, title]) => ({ value, title }))
}

/** The caisses by their code (the agents' and the partners' screens). */
export const CAISSES = [
  { value: 'rouen-elbeuf-dieppe', title: 'CPAM Rouen-Elbeuf-Dieppe' },
  { value: 'le-havre', title: 'CPAM Le Havre' },
]

export function caisseLabel(code) {
  return CAISSES.find((c) => c.value === code)?.title ?? code ?? '—'
}

/** A size in bytes, for people. */
export function fileSize(bytes) {
  if (bytes == null) return '—'
  if (bytes < 1024) return `${bytes} octets`
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} Ko`
  return `${(bytes / 1024 / 1024).toLocaleString('fr-FR', { maximumFractionDigits: 1 })} Mo`
}
