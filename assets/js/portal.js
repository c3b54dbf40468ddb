// Progressive enhancement only: every page works without this file.
import { startComponents } from './components.js'
import './timeout-warning.js'
import './htmx-glue.js'
import './save-status.js'
import './upload-progress.js'
import './page-stamp.js'
import './save-before-leaving.js'
import './send-dialog.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
startComponents()
