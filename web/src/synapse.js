// The design system's components we use, compiled from @cnamts/synapse's own sources rather
// than its prebuilt bundle: each page then carries only the components it shows (the
// bundle weighs 130 KB compressed before anything else).
export { default as HeaderBar } from '@cnamts/synapse/components/HeaderBar/HeaderBar.vue'
export { default as FooterBar } from '@cnamts/synapse/components/FooterBar/FooterBar.vue'
export { default as SkipLink } from '@cnamts/synapse/components/SkipLink/SkipLink.vue'
export { default as NirField } from '@cnamts/synapse/components/NirField/NirField.vue'
export { default as PasswordField } from '@cnamts/synapse/components/PasswordField/PasswordField.vue'
export { default as FileUpload } from '@cnamts/synapse/components/FileUpload/FileUpload.vue'
export { default as DeclarationAccessibilityPage } from '@cnamts/synapse/components/DeclarationAccessibilityPage/DeclarationAccessibilityPage.vue'
