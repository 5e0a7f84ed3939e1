//! Supporting documents: what may be uploaded, and the check an object must pass before an
//! agent may open it.

use serde::{Deserialize, Serialize};

pub const MAX_DOCUMENT_BYTES: u64 = 10 * 1024 * 1024;
pub const MAX_DOCUMENTS_PER_RENEWAL: usize = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    IncomeProof,
    Payslip,
    TaxNotice,
    PensionStatement,
    UnemploymentStatement,
    BenefitStatement,
    Identity,
    ProofOfAddress,
    RentReceipt,
    FamilyRecord,
    BankDetails,
    Other,
}

impl DocumentKind {
    pub fn parse(s: &str) -> Option<DocumentKind> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::IncomeProof => "income_proof",
            DocumentKind::Payslip => "payslip",
            DocumentKind::TaxNotice => "tax_notice",
            DocumentKind::PensionStatement => "pension_statement",
            DocumentKind::UnemploymentStatement => "unemployment_statement",
            DocumentKind::BenefitStatement => "benefit_statement",
            DocumentKind::Identity => "identity",
            DocumentKind::ProofOfAddress => "proof_of_address",
            DocumentKind::RentReceipt => "rent_receipt",
            DocumentKind::FamilyRecord => "family_record",
            DocumentKind::BankDetails => "bank_details",
            DocumentKind::Other => "other",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ContentType {
    #[serde(rename = "application/pdf")]
    Pdf,
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/png")]
    Png,
}

impl ContentType {
    pub fn parse(s: &str) -> Option<ContentType> {
        match s.trim().to_ascii_lowercase().as_str() {
            "application/pdf" => Some(ContentType::Pdf),
            "image/jpeg" | "image/jpg" => Some(ContentType::Jpeg),
            "image/png" => Some(ContentType::Png),
            _ => None,
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            ContentType::Pdf => "application/pdf",
            ContentType::Jpeg => "image/jpeg",
            ContentType::Png => "image/png",
        }
    }

    /// What the file really is, from its first bytes.
    pub fn sniff(head: &[u8]) -> Option<ContentType> {
        if head.starts_with(b"%PDF-") {
            Some(ContentType::Pdf)
        } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ContentType::Jpeg)
        } else if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(ContentType::Png)
        } else {
            None
        }
    }
}

/// Where a document stands. Only `clean` documents count for a submission or reach an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    /// Announced; the upload URL was handed out, nothing received yet.
    AwaitingUpload,
    /// Received and well-formed, but no antivirus could scan it yet.
    PendingScan,
    Clean,
    Rejected,
}

impl DocumentStatus {
    /// The stored and wire name, as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentStatus::AwaitingUpload => "awaiting_upload",
            DocumentStatus::PendingScan => "pending_scan",
            DocumentStatus::Clean => "clean",
            DocumentStatus::Rejected => "rejected",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    Empty,
    TooLarge,
    SizeMismatch,
    TypeMismatch,
    Infected,
}

impl RejectReason {
    pub fn message(self) -> &'static str {
        match self {
            RejectReason::Empty => "Le fichier reçu est vide.",
            RejectReason::TooLarge => "Le fichier dépasse 10 Mo.",
            RejectReason::SizeMismatch => "Le fichier reçu n'a pas la taille annoncée.",
            RejectReason::TypeMismatch => {
                "Le contenu du fichier ne correspond pas à son type (PDF, JPEG ou PNG)."
            }
            RejectReason::Infected => "Le fichier contient un virus et a été supprimé.",
        }
    }
}

/// The checks that need no antivirus: size and magic bytes against what was declared.
pub fn check_content(
    declared: ContentType,
    declared_size: u64,
    actual_size: u64,
    head: &[u8],
) -> Result<(), RejectReason> {
    if actual_size == 0 {
        return Err(RejectReason::Empty);
    }
    if actual_size > MAX_DOCUMENT_BYTES {
        return Err(RejectReason::TooLarge);
    }
    if actual_size != declared_size {
        return Err(RejectReason::SizeMismatch);
    }
    if ContentType::sniff(head) != Some(declared) {
        return Err(RejectReason::TypeMismatch);
    }
    Ok(())
}

/// Why a file name is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilenameError {
    /// Empty, a path only, or longer than 120 characters.
    Invalid,
    /// It holds a NIR, which would then be shown and put in download links.
    Nir,
}

/// Characters that reorder what is shown (`facture\u{202e}fdp.exe` displays as
/// `facture exe.pdf`): stripped like control characters.
fn reorders_text(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The name shown to people: no path, no control or bidirectional characters, at most 120
/// characters, no NIR. Never used in a storage key.
pub fn display_filename(raw: &str) -> Result<String, FilenameError> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control() && !reorders_text(*c))
        .collect::<String>()
        .trim()
        .to_owned();
    let n = clean.chars().count();
    if !(1..=120).contains(&n) || clean == "." || clean == ".." {
        return Err(FilenameError::Invalid);
    }
    if crate::text::contains_nir_like(&clean) {
        return Err(FilenameError::Nir);
    }
    Ok(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_status_names_are_the_serde_ones() {
        use DocumentStatus::*;
        for st in [AwaitingUpload, PendingScan, Clean, Rejected] {
            assert_eq!(
                serde_json::to_value(st).ok(),
                Some(serde_json::Value::from(st.as_str()))
            );
        }
    }

    #[test]
    fn sniffs_magic_bytes() {
        assert_eq!(ContentType::sniff(b"%PDF-1.7\n"), Some(ContentType::Pdf));
        assert_eq!(
            ContentType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(ContentType::Jpeg)
        );
        assert_eq!(
            ContentType::sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(ContentType::Png)
        );
        assert_eq!(ContentType::sniff(b"MZ\x90\x00"), None);
    }

    #[test]
    fn content_checks() {
        let pdf = b"%PDF-1.4 hello";
        assert_eq!(check_content(ContentType::Pdf, 14, 14, pdf), Ok(()));
        assert_eq!(
            check_content(ContentType::Png, 14, 14, pdf),
            Err(RejectReason::TypeMismatch)
        );
        assert_eq!(
            check_content(ContentType::Pdf, 14, 0, b""),
            Err(RejectReason::Empty)
        );
        assert_eq!(
            check_content(ContentType::Pdf, 14, 15, pdf),
            Err(RejectReason::SizeMismatch)
        );
        assert_eq!(
            check_content(
                ContentType::Pdf,
                MAX_DOCUMENT_BYTES + 1,
                MAX_DOCUMENT_BYTES + 1,
                pdf
            ),
            Err(RejectReason::TooLarge)
        );
    }

    #[test]
    fn filenames_lose_their_path() {
        assert_eq!(
            display_filename("C:\\Users\\x\\avis 2025.pdf").as_deref(),
            Ok("avis 2025.pdf")
        );
        assert_eq!(
            display_filename("../../etc/passwd").as_deref(),
            Ok("passwd")
        );
        assert_eq!(display_filename("dir/"), Err(FilenameError::Invalid));
        assert_eq!(display_filename("a\u{0}b.pdf").as_deref(), Ok("ab.pdf"));
    }

    #[test]
    fn filenames_lose_what_reorders_them_and_never_hold_a_nir() {
        assert_eq!(
            display_filename("facture\u{202e}fdp.exe").as_deref(),
            Ok("facturefdp.exe")
        );
        assert_eq!(
            display_filename("\u{2067}avis\u{2069}.pdf").as_deref(),
            Ok("avis.pdf")
        );
        let nir = format!("184057512345{}", "6");
        let nir = format!("{nir}{:02}", crate::nir::key_of(&nir));
        assert_eq!(
            display_filename(&format!("attestation_{nir}.pdf")),
            Err(FilenameError::Nir)
        );
    }

    #[test]
    fn kinds_round_trip() {
        for k in ["payslip", "tax_notice", "income_proof", "other"] {
            assert_eq!(DocumentKind::parse(k).map(DocumentKind::as_str), Some(k));
        }
        assert_eq!(DocumentKind::parse("selfie"), None);
    }
}
