// The save status under a section's questions ("Saving…", "Saved at 10:42am" comes from the
// server): tell the user plainly when a request did not reach the server or was refused, and
// that their answers are still on the page.

const isAutosave = (event) => event.detail.requestConfig.path.endsWith('/autosave')

export const showNotSaved = (message) => {
  const status = document.getElementById('save-status')
  if (!status) return
  status.textContent = message
  status.classList.add('portal-save-status__text--error')
}

const SIGNED_OUT = 'Not saved: you have been signed out. Your answers are still on this page. Select Next or "Save and come back later": we will keep them while you sign in again.'

document.body.addEventListener('htmx:sendError', () => {
  showNotSaved('Not saved yet: the portal could not be reached. Your answers are still on this page and will be saved when you next change one, or when you select Save and come back later.')
})

document.body.addEventListener('htmx:responseError', (event) => {
  const status = event.detail.xhr.status
  if (status === 401 || status === 403) {
    showNotSaved(isAutosave(event) ? SIGNED_OUT : 'Not sent: you may have been signed out, or the page is out of date. Your answers are still on this page: reload the page to sign in again, after copying anything you have not saved.')
  } else {
    showNotSaved('Not saved yet: something went wrong. Your answers are still on this page. Try again in a moment.')
  }
})

document.body.addEventListener('htmx:beforeRequest', (event) => {
  if (!isAutosave(event)) return
  const status = document.getElementById('save-status')
  if (status && !status.classList.contains('portal-save-status__text--error')) status.textContent = 'Saving…'
})
