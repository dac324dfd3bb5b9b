"""Statistics on subjects × variables tables, checked against R's psych and lavaan. Nothing here calls a model.

Modules: `data` (input checks, missing-value policy), `pca` (principal components, rotation, retention),
`pruning`, `reliability` (Cronbach's alpha), `congruence` (Tucker's phi, factor matching), `lavaan`
(reading ``=~`` scales), `cfa`, `mapping`, `compare`. Import from the module, e.g.
``from gpla.analysis.pca import PrincipalComponents``; this package imports nothing so that each
stays cheap to load.
"""
