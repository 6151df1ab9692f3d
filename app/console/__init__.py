"""What the web console shows and does, as plain functions of (session, actor, …) returning
plain data: no Flask here, so pages are tested without HTTP and handlers in app/web stay a
few lines. Every function applies the actor's village scope itself, as the API's do."""
