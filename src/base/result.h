// Errors as values: the public type (include/agora/result.h) is the one every layer uses.
#pragma once

#include "agora/result.h"
