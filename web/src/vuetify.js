// Vuetify with the Assurance Maladie's theme from @cnamts/synapse. Components are imported
// where they are used (vite-plugin-vuetify) instead of all of them, as the design system's
// createVuetifyInstance does, to keep the first page light.
import { createVuetify } from 'vuetify'
import { aliases, mdi } from 'vuetify/iconsets/mdi-svg'
import { fr } from 'vuetify/locale'
import {
  cnamColorsTokens,
  cnamContextualTokens,
  cnamLightTheme,
  cnamDarkTheme,
  cnamFontsTokens,
} from '@cnamts/synapse/designTokens'
import { createFlattenTheme, createFontVariables } from '@cnamts/synapse/designTokens/utils'

export default createVuetify({
  icons: { defaultSet: 'mdi', aliases, sets: { mdi } },
  locale: { locale: 'fr', messages: { fr } },
  theme: {
    defaultTheme: 'cnam',
    themes: {
      cnam: {
        dark: false,
        colors: { ...cnamLightTheme, ...cnamDarkTheme, ...createFlattenTheme(cnamColorsTokens) },
        variables: {
          'border-color': cnamColorsTokens.grey.base,
          'font-family': cnamFontsTokens.family.primary,
          ...createFontVariables(cnamFontsTokens),
          ...createFlattenTheme(cnamContextualTokens),
          // Labels and hints at Vuetify's default 60 % opacity fail the RGAA contrast
          // ratio on white; 80 % of black passes it comfortably.
          'medium-emphasis-opacity': 0.8,
        },
      },
    },
  },
})
