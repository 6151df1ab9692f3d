"""The phone's face: OpenRosa formList, form download, manifest, media, submission."""
