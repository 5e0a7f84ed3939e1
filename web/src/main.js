import 'vuetify/styles'
import '@cnamts/synapse/assets/themes.scss'
import './styles/utilities.css'
import { createApp } from 'vue'
import App from './App.vue'
import router from './router.js'
import vuetify from './vuetify.js'

createApp(App).use(router).use(vuetify).mount('#app')
