// Uploading documents: show how far the upload has gone (the bar is labelled "Uploading").
document.body.addEventListener('htmx:xhr:progress', (event) => {
  const form = event.target instanceof HTMLFormElement ? event.target : null
  const box = form && form.querySelector('.portal-upload-progress')
  if (!box || !event.detail.lengthComputable) return
  box.hidden = false
  box.querySelector('progress').value = Math.round((event.detail.loaded / event.detail.total) * 100)
})
