# >>> codeloop >>>
# managed by `codeloop init`; remove with `codeloop uninstall`
# <<< codeloop <<<
export A=1
# >>> codeloop >>>
# <<< codeloop <<<
