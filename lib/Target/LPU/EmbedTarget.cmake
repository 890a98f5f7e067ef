# Writes INPUT as a C++ raw string constant kDefaultTargetJSON into OUTPUT.
file(READ ${INPUT} CONTENT)
file(WRITE ${OUTPUT} "static const char kDefaultTargetJSON[] = R\"lpujson(${CONTENT})lpujson\";\n")
