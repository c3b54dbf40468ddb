// htmx glue: start GOV.UK Frontend components in content htmx swaps in, and tell the user
// plainly when an autosave did not reach the server (their answer stays on the page and is
// sent again with the next change, or with Next / "Save and come back later").
import { startComponents } from './components.js'

document.body.addEventListener('htmx:load', (event) => {
  const element = event.detail.elt
  if (element === document.body || !(element instanceof HTMLElement)) return
  startComponents(element)
})

const showNotSaved = (message) => {
  const status = document.getElementById('save-status')
  if (!status) return
  status.textContent = message
  status.classList.add('portal-save-status__text--error')
}

document.body.addEventListener('htmx:sendError', (event) => {
  if (event.detail.requestConfig.path.endsWith('/autosave')) {
    showNotSaved('Not saved yet: the portal could not be reached. Your answers are still on this page and will be saved when you next change one, or when you select Save and come back later.')
  }
})

document.body.addEventListener('htmx:responseError', (event) => {
  if (!event.detail.requestConfig.path.endsWith('/autosave')) return
  if (event.detail.xhr.status === 401) {
    showNotSaved('Not saved: you have been signed out. Your latest answers are still on this page: copy anything you have not saved, then sign in again in a new tab.')
  } else {
    showNotSaved('Not saved yet: something went wrong. Your answers are still on this page. Select Save and come back later to try again.')
  }
})

document.body.addEventListener('htmx:beforeRequest', (event) => {
  if (event.detail.requestConfig.path.endsWith('/autosave')) {
    const status = document.getElementById('save-status')
    if (status && !status.classList.contains('portal-save-status__text--error')) status.textContent = 'Saving…'
  }
})
