"use strict";
// The RepositoryStatus provider: this module's exports ARE the provider object (see notary-provider.cjs).
const { NotaryProvider } = require("./notary-provider.cjs");
module.exports = new NotaryProvider("status");
