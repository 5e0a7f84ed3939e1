//! Errors as the API answers them: `{"code","message"}` with a French message. Every code the
//! functions answer is a `Code`, with its status and default message in one table below; the
//! README's list is checked against it (`tests::readme_lists_every_code`).

use c2s_platform::objects::ObjectError;
use c2s_platform::outbox::OutboxError;
use c2s_platform::page::PageError;
use c2s_platform::store::StoreError;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;

macro_rules! codes {
    ($($variant:ident => ($code:literal, $status:ident, $message:literal),)*) => {
        /// A stable error code, for programs; its French message is for people.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Code { $($variant),* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code),* }
            }

            pub fn status(self) -> StatusCode {
                match self { $(Code::$variant => StatusCode::$status),* }
            }

            /// The default French message; a route may say more with `with_message`.
            pub fn message(self) -> &'static str {
                match self { $(Code::$variant => $message),* }
            }
        }
    };
}

codes! {
    Invalid => ("invalid", UNPROCESSABLE_ENTITY, "Certaines informations sont à corriger."),
    InvalidJson => ("invalid_json", BAD_REQUEST, "Le corps de la requête n'est pas du JSON valide."),
    BodyTooLarge => ("body_too_large", PAYLOAD_TOO_LARGE, "La requête est trop volumineuse."),
    MethodNotAllowed => ("method_not_allowed", METHOD_NOT_ALLOWED, "Cette méthode n'est pas permise sur cette adresse."),
    Internal => ("internal", INTERNAL_SERVER_ERROR, "Une erreur inattendue est survenue. Réessayez dans quelques instants."),
    Unauthenticated => ("unauthenticated", UNAUTHORIZED, "Votre session a expiré ou n'est pas valide. Reconnectez-vous."),
    Forbidden => ("forbidden", FORBIDDEN, "Vous n'avez pas accès à cette action."),
    NotFound => ("not_found", NOT_FOUND, "Cette ressource n'existe pas."),
    InvalidCredentials => ("invalid_credentials", UNAUTHORIZED, "Ces informations ne permettent pas de vous identifier. Vérifiez-les et réessayez."),
    TooManyAttempts => ("too_many_attempts", TOO_MANY_REQUESTS, "Trop d'essais infructueux. Réessayez dans 15 minutes."),
    AccountLocked => ("account_locked", LOCKED, "Ce compte est verrouillé après plusieurs essais infructueux. Demandez à votre gestionnaire ou à la CPAM de le déverrouiller."),
    AccountInactive => ("account_inactive", UNAUTHORIZED, "Ce compte n'est plus actif."),
    TooManyRequests => ("too_many_requests", TOO_MANY_REQUESTS, "Trop de simulations en peu de temps. Réessayez dans une minute."),
    ParametersUnknown => ("parameters_unknown", UNPROCESSABLE_ENTITY, "Les barèmes de cette période ne sont pas encore connus : l'estimation n'est pas possible."),
    VersionConflict => ("version_conflict", CONFLICT, "Ces données ont été modifiées entre-temps. Réessayez."),
    NotEditable => ("not_editable", CONFLICT, "Cette demande ne peut plus être modifiée dans son état actuel."),
    UsePartnerRoute => ("use_partner_route", FORBIDDEN, "Un partenaire ouvre une demande avec le consentement de la personne : POST /api/partner/renewals."),
    TooEarly => ("too_early", UNPROCESSABLE_ENTITY, "Le renouvellement ne peut être demandé qu'à partir de 4 mois avant la fin de vos droits."),
    RenewalAlreadyOpen => ("renewal_already_open", CONFLICT, "Une demande de renouvellement est déjà en cours."),
    InvalidTransition => ("invalid_transition", CONFLICT, "Cette demande ne peut pas être envoyée dans son état actuel."),
    Incomplete => ("incomplete", UNPROCESSABLE_ENTITY, "La demande est incomplète."),
    AlreadyDecided => ("already_decided", CONFLICT, "Une décision a déjà été prise : la demande ne peut plus être retirée."),
    DocumentTypeNotAllowed => ("document_type_not_allowed", UNPROCESSABLE_ENTITY, "Seuls les fichiers PDF, JPEG et PNG sont acceptés."),
    DocumentTooLarge => ("document_too_large", UNPROCESSABLE_ENTITY, "Le fichier dépasse 10 Mo."),
    TooManyDocuments => ("too_many_documents", UNPROCESSABLE_ENTITY, "Cette demande compte déjà le nombre maximal de pièces. Supprimez-en avant d'en ajouter."),
    InvalidCursor => ("invalid_cursor", BAD_REQUEST, "Ce curseur de pagination n'est pas valide."),
    AlreadyClaimed => ("already_claimed", CONFLICT, "Un autre agent a déjà pris ce dossier."),
    NotAssigned => ("not_assigned", CONFLICT, "Ce dossier est pris en charge par un autre agent."),
    NirNotAllowed => ("nir_not_allowed", UNPROCESSABLE_ENTITY, "Un numéro de sécurité sociale ne doit pas figurer dans ce texte."),
    ParticipationRequired => ("participation_required", UNPROCESSABLE_ENTITY, "Le montant de la participation ne peut pas être calculé : indiquez monthly_participation_cents."),
    ParticipationNotAllowed => ("participation_not_allowed", UNPROCESSABLE_ENTITY, "Le montant de la participation est calculé par le barème ; il ne peut pas être saisi pour ce dossier."),
    ParticipationOutOfRange => ("participation_out_of_range", UNPROCESSABLE_ENTITY, "Le montant de la participation doit être supérieur à 0 et au plus de 30 € par mois pour chaque membre du foyer."),
    Restricted => ("restricted", LOCKED, "Le traitement de ce dossier est limité à la demande de la personne (RGPD, article 18) : il ne peut être ni ouvert ni traité tant que la limitation n'est pas levée. Adressez-vous au délégué à la protection des données."),
    DocumentNotAvailable => ("document_not_available", CONFLICT, "Cette pièce n'a pas (encore) passé le contrôle : elle ne peut pas être ouverte."),
    PasswordExpired => ("password_expired", FORBIDDEN, "Votre mot de passe doit être renouvelé."),
    CguNotAccepted => ("cgu_not_accepted", FORBIDDEN, "Acceptez les conditions d'utilisation pour continuer."),
    EmailTaken => ("email_taken", CONFLICT, "Un compte existe déjà avec cette adresse électronique."),
    ManagerLimit => ("manager_limit", UNPROCESSABLE_ENTITY, "Cet organisme a déjà le nombre maximal de gestionnaires pour sa taille."),
    LastManager => ("last_manager", UNPROCESSABLE_ENTITY, "Le dernier gestionnaire actif d'un organisme ne peut pas être désactivé."),
    InvalidActivation => ("invalid_activation", BAD_REQUEST, "Ce lien d'activation n'est pas valide ou a expiré. Demandez-en un nouveau."),
    ConsentRequired => ("consent_required", UNPROCESSABLE_ENTITY, "La personne doit avoir donné son accord pour que vous agissiez pour elle."),
    ConventionEnded => ("convention_ended", FORBIDDEN, "Votre organisme n'a plus de convention en vigueur avec la caisse de cette personne."),
    ConventionExists => ("convention_exists", CONFLICT, "Votre caisse a déjà une convention en vigueur ou à venir avec cet organisme."),
    InvalidMotive => ("invalid_motive", UNPROCESSABLE_ENTITY, "Ce motif ne figure pas dans la liste de ce type de demande."),
    CaisseRequired => ("caisse_required", UNPROCESSABLE_ENTITY, "Votre organisme a une convention avec plusieurs caisses : choisissez celle à laquelle la personne est affiliée."),
    NoticeTooShort => ("notice_too_short", UNPROCESSABLE_ENTITY, "La désactivation d'un gestionnaire se demande au moins 15 jours à l'avance."),
    HealthData => ("health_data", UNPROCESSABLE_ENTITY, "Le commentaire semble contenir des informations de santé, qui n'ont pas leur place ici. Retirez-les, ou confirmez qu'elles sont nécessaires."),
    UnknownJob => ("unknown_job", NOT_FOUND, "Ce traitement planifié n'existe pas."),
    ServiceUnavailable => ("service_unavailable", SERVICE_UNAVAILABLE, "Le service est momentanément indisponible. Réessayez dans quelques instants."),
}

impl Code {
    /// The same code with a message that says more about this route.
    pub fn with_message(self, message: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError {
            code: self,
            message: message.into(),
            extra: Vec::new(),
        }
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub code: Code,
    pub message: Cow<'static, str>,
    pub extra: Vec<(&'static str, Value)>,
}

impl From<Code> for ApiError {
    fn from(code: Code) -> Self {
        code.with_message(code.message())
    }
}

/// A conflict is someone else's write landing first; a store that cannot answer is a 503
/// (try again in a moment); anything else is unexpected.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => Code::VersionConflict.into(),
            StoreError::Unavailable(cause) => ApiError::unavailable(cause),
            other => ApiError::internal(other),
        }
    }
}

/// A cursor not of the list asked for is the caller's mistake (400), as any other request.
impl From<PageError> for ApiError {
    fn from(e: PageError) -> Self {
        match e {
            PageError::BadCursor => Code::InvalidCursor.into(),
            PageError::Store(e) => e.into(),
        }
    }
}

/// Documents in S3 fail only unexpectedly on the API's paths, unless S3 cannot answer: a
/// missing object is looked for where it matters (`ObjectError::NotFound`) before `?`.
impl From<ObjectError> for ApiError {
    fn from(e: ObjectError) -> Self {
        match e {
            ObjectError::Unavailable(cause) => ApiError::unavailable(cause),
            other => ApiError::internal(other),
        }
    }
}

impl From<OutboxError> for ApiError {
    fn from(e: OutboxError) -> Self {
        match e {
            OutboxError::Unavailable(cause) => ApiError::unavailable(cause),
            other => ApiError::internal(other),
        }
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    /// Adds a field to the answer (`fields`, `missing`, `retry_after`…).
    pub fn with(mut self, key: &'static str, value: impl Serialize) -> Self {
        self.extra
            .push((key, serde_json::to_value(value).unwrap_or(Value::Null)));
        self
    }

    pub fn unauthenticated() -> Self {
        Code::Unauthenticated.into()
    }

    pub fn forbidden() -> Self {
        Code::Forbidden.into()
    }

    pub fn not_found() -> Self {
        Code::NotFound.into()
    }

    pub fn invalid(fields: Vec<c2s_domain::FieldError>) -> Self {
        ApiError::from(Code::Invalid).with("fields", fields)
    }

    /// A dependency (DynamoDB, S3, SQS) that cannot answer now: logged with its cause,
    /// answered 503 without it, so the caller tries again rather than reports a fault.
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %cause, "dependency unavailable");
        Code::ServiceUnavailable.into()
    }

    /// An unexpected failure: logged with its cause, answered without it.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Code::Internal.into()
    }

    pub fn into_response(self) -> Response<Body> {
        let mut body = serde_json::Map::new();
        body.insert("code".into(), Value::from(self.code.as_str()));
        body.insert("message".into(), Value::from(self.message.into_owned()));
        for (k, v) in self.extra {
            body.insert(k.into(), v);
        }
        crate::response::json(self.code.status(), &Value::Object(body))
    }
}

/// Gives a store conflict the meaning it has at this call (`email_taken`, `not_editable`…),
/// as realworld-axum-sqlx's `on_constraint` does; other store errors stay internal.
pub trait ResultExt<T> {
    fn on_conflict(self, f: impl FnOnce() -> ApiError) -> Result<T, ApiError>;
}

impl<T> ResultExt<T> for Result<T, StoreError> {
    fn on_conflict(self, f: impl FnOnce() -> ApiError) -> Result<T, ApiError> {
        self.map_err(|e| match e {
            StoreError::Conflict => f(),
            other => other.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The README's "Errors" table, between its two markers: one row per code.
    fn documented() -> BTreeSet<(String, u16)> {
        let readme = include_str!("../../../README.md");
        let table = readme
            .split("<!-- error-codes -->")
            .nth(1)
            .unwrap_or_else(|| panic!("README.md has no <!-- error-codes --> table"));
        table
            .lines()
            .filter_map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                let code = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
                let status = cells.get(2)?.parse().ok()?;
                Some((code.to_owned(), status))
            })
            .collect()
    }

    #[test]
    fn readme_lists_every_code() {
        let answered: BTreeSet<(String, u16)> = Code::ALL
            .iter()
            .map(|c| (c.as_str().to_owned(), c.status().as_u16()))
            .collect();
        let documented = documented();
        let undocumented: Vec<_> = answered.difference(&documented).collect();
        let unanswered: Vec<_> = documented.difference(&answered).collect();
        assert!(
            undocumented.is_empty() && unanswered.is_empty(),
            "answered but not in the README: {undocumented:?}; in the README but never answered: {unanswered:?}"
        );
    }

    #[test]
    fn codes_are_unique() {
        let names: BTreeSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), Code::ALL.len());
    }

    #[test]
    fn a_store_conflict_is_a_version_conflict_unless_said_otherwise() {
        let e: ApiError = StoreError::Conflict.into();
        assert_eq!(e.code, Code::VersionConflict);
        let e = Err::<(), _>(StoreError::Conflict)
            .on_conflict(|| Code::EmailTaken.into())
            .err();
        assert_eq!(e.map(|e| e.code), Some(Code::EmailTaken));
        let e = Err::<(), _>(StoreError::Failed("x".into()))
            .on_conflict(|| Code::EmailTaken.into())
            .err();
        assert_eq!(e.map(|e| e.code), Some(Code::Internal));
    }

    #[test]
    fn a_dependency_that_cannot_answer_is_a_503_never_a_500() {
        let cases: [ApiError; 3] = [
            StoreError::Unavailable("dispatch failure".into()).into(),
            ObjectError::Unavailable("timeout".into()).into(),
            OutboxError::Unavailable("throttled".into()).into(),
        ];
        for e in cases {
            assert_eq!(
                (e.code, e.status().as_u16()),
                (Code::ServiceUnavailable, 503)
            );
        }
        let e: ApiError = StoreError::Failed("ValidationException".into()).into();
        assert_eq!(e.code, Code::Internal);
    }
}
