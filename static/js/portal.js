// Progressive enhancement only: every page works without this file.
import { startComponents } from './components.js'
import './timeout-warning.js'
import './enhancements.js'
import './send-dialog.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
startComponents()
