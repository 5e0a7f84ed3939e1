// The French words for the API's codes, shared by the three spaces.

export const STATUS = {
  draft: 'Brouillon',
  submitted: 'Envoyée',
  in_review: "En cours d'instruction",
  awaiting_documents: 'Pièces demandées',
  approved: 'Accordée',
  rejected: 'Refusée',
  exported: 'Accordée, en cours de mise en place',
  integrated: 'Droits ouverts',
  withdrawn: 'Retirée',
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
  other: 'Autre ressource',
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
  documents_pending: 'Attendre la fin de la vérification des justificatifs',
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
