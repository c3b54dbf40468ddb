// Progressive enhancement only: every page works without this file.
import { initAll } from '../vendor/govuk-frontend-6.3.0.min.js'
import './timeout-warning.js'
import './enhancements.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()
