"""What the review pages stand on: a cell's crop of the page image or its source line (`crops`), and a
reviewed report written as a labelled example (`labelled`). The pages and their endpoints are the review
router (`service.routers.review`); the templates and static assets live here."""
